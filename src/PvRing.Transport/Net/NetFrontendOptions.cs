// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Grants;

namespace PvRing.Transport;

/// <summary>What a <see cref="NetFrontend"/> asks for and how long it waits.</summary>
public sealed class NetFrontendOptions
{
    /// <summary>
    /// The features wanted (default: every ring feature, split event channels, scatter-gather, one-page rings, and the
    /// persistent grant mode: grants kept, the front still protected; direct map must be asked for, since it gives the back
    /// all of the front's memory). <see cref="NetDeviceFeatures.GrantModes"/> must be exactly one mode.
    /// </summary>
    public NetDeviceFeatures Wants { get; init; } = NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = NetGrantModes.Persistent };

    /// <summary>
    /// The first arena frame the queue uses: the transmit ring takes 2^order frames from here, the receive ring the next
    /// 2^order, then one transmit buffer per transmit slot and one receive buffer per receive slot (default 0).
    /// </summary>
    public uint FirstFrame { get; init; }

    /// <summary>
    /// The NUMA node this front end runs on, written as <c>numa-node</c> when <see cref="NetDeviceFeatures.NumaAffinity"/>
    /// is agreed (hackathon item H); null writes nothing.
    /// </summary>
    public int? NumaNode { get; init; }

    /// <summary>
    /// Whether the front's memory (arena and grant table) is made to prefer <see cref="NumaNode"/> when affinity is agreed
    /// (<see cref="GrantDomain.PreferNumaNode"/>); worth it only on a machine with more than one node (default false).
    /// </summary>
    public bool BindMemoryToNumaNode { get; init; }

    /// <summary>The negotiation's timeout and log; null for the defaults (10 seconds, no log).</summary>
    public XenBusOptions? Bus { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A feature value is out of range, or not exactly one grant mode is wanted.</exception>
    public void Validate()
    {
        Wants.Validate();
        if (!System.Numerics.BitOperations.IsPow2((int)Wants.GrantModes))
        {
            throw new ArgumentOutOfRangeException(nameof(Wants), Wants.GrantModes, "A front end wants exactly one grant mode (it gets copy if the back end does not offer it).");
        }

        if (NumaNode is int node)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(node, nameof(NumaNode));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(node, Platform.NumaMemory.MaxNodeId, nameof(NumaNode));
        }

        Bus?.Validate();
    }
}
