// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Grants;

namespace PvRing.Tests.Grants;

/// <summary>A front (domain 1) with its memory and a back (domain 0) that opened it, in one process.</summary>
internal sealed class GrantTestDomains : IDisposable
{
    public const int FrontId = 1;
    public const int BackId = 0;

    public GrantTestDomains(int arenaFrames = 16, int tablePages = 1)
    {
        Front = GrantDomain.Create(Host.Host, FrontId, new GrantDomainOptions { ArenaFrames = arenaFrames, GrantTablePages = tablePages });
        Foreign = ForeignDomain.Open(Host.Host, BackId, FrontId);
    }

    public TempHost Host { get; } = new();

    public GrantDomain Front { get; }

    public ForeignDomain Foreign { get; }

    public void Dispose()
    {
        Foreign.Dispose();
        Front.Dispose();
        Host.Dispose();
    }
}
