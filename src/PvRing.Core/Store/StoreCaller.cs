// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Store;

/// <summary>Who is asking: the domain a connection acts as, and whether it is privileged (domain 0).</summary>
internal readonly record struct StoreCaller(int DomainId, bool IsPrivileged)
{
    public static StoreCaller Privileged => new(0, true);
}
