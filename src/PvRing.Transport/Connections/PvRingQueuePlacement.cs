// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Transport;

/// <summary>Where a connection's queue workers (<see cref="PvRingConnection.RunWorkers"/>) run.</summary>
public enum PvRingQueuePlacement
{
    /// <summary>Not pinned: the scheduler places the workers (<see cref="PvRingQueue.Cpu"/> is -1).</summary>
    None = 0,

    /// <summary>
    /// One CPU per queue, spread over the cores this process may use (one thread of every core before a second one), on
    /// the front end's NUMA node when <c>feature-numa-affinity</c> is agreed and the machine has more than one node.
    /// </summary>
    Spread = 1,
}
