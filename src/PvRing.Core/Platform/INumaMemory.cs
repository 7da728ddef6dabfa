// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Platform;

/// <summary>Binds memory to a NUMA node; the platform half of <see cref="NumaMemory"/>.</summary>
internal interface INumaMemory
{
    /// <summary>Sets the policy of the pages at <paramref name="address"/> to prefer <paramref name="node"/> (page-aligned range, node validated).</summary>
    unsafe void PreferNode(byte* address, nuint length, int node);
}
