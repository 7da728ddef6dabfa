// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Platform;

/// <summary>Where two communicating threads sit relative to each other; see <see cref="CpuTopology.FindPair"/>.</summary>
public enum CpuPairKind
{
    /// <summary>Both on one logical CPU: they take turns, so every hand-off is a context switch.</summary>
    SameCpu,

    /// <summary>Two hardware threads of one core: they share the L1 and L2 caches.</summary>
    SmtSibling,

    /// <summary>Two different cores of one socket: cache lines move through the shared last-level cache.</summary>
    SameSocket,

    /// <summary>Two different sockets: cache lines cross the socket interconnect.</summary>
    OtherSocket,

    /// <summary>Two different NUMA nodes: as <see cref="OtherSocket"/>, and memory is remote to one side.</summary>
    OtherNumaNode,
}
