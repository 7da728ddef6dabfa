// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Memory;

namespace PvRing.Platform;

/// <summary>
/// Places shared memory on a NUMA node (hackathon item H): the pages of a mapping get the policy "prefer this node", so
/// pages not yet touched are allocated there whichever process touches them first (a shared file's policy is the file's,
/// not one mapping's). Pages already allocated stay where they are.
/// </summary>
public static class NumaMemory
{
    /// <summary>The largest node id <see cref="PreferNode"/> accepts (the kernel's node masks are this wide here).</summary>
    public const int MaxNodeId = 1023;

    /// <summary>
    /// Makes the pages of <paramref name="memory"/> prefer NUMA node <paramref name="node"/> (Linux <c>mbind(2)</c> with
    /// <c>MPOL_PREFERRED</c>).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="memory"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="node"/> is negative or above <see cref="MaxNodeId"/>.</exception>
    /// <exception cref="PvRingException">The kernel refused (for example no such node); the message says why.</exception>
    public static unsafe void PreferNode(SharedMemoryFile memory, int node)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentOutOfRangeException.ThrowIfNegative(node);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(node, MaxNodeId);
        PlatformServices.Numa.PreferNode(memory.Pointer, (nuint)memory.Length, node);
    }
}
