// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Events;

namespace PvRing.Tests.Events;

/// <summary>Two domains (1 and 2) in this process with one channel bound between them.</summary>
internal sealed class ChannelPair : IDisposable
{
    internal static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly TempHost _host = new();

    internal ChannelPair(EventDomainOptions? options = null)
    {
        Front = EventDomain.Create(_host.Host, 1, options);
        Back = EventDomain.Create(_host.Host, 2, options);
        FrontChannel = Front.AllocateUnbound(2);
        BackChannel = Back.BindInterdomain(1, FrontChannel.Port);
    }

    internal EventDomain Front { get; }

    internal EventDomain Back { get; }

    internal EventChannel FrontChannel { get; }

    internal EventChannel BackChannel { get; }

    internal PvRing.Memory.HostDirectory Host => _host.Host;

    public void Dispose()
    {
        Back.Dispose();
        Front.Dispose();
        _host.Dispose();
    }
}
