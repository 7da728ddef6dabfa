// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;

namespace PvRing.Transport;

/// <summary>
/// The netif device's own store keys and features (Linux netfront/netback names where Linux has them): the per-direction
/// ring prefixes, the split event channel keys, scatter-gather and the grant modes of the hackathon items F, G, J and the
/// frontend-driven TLB flush. The generic ring features (<see cref="XenBusStandardFeatures.Ring"/>) come from the bus.
/// </summary>
public static class NetifKeys
{
    /// <summary>The prefix of the transmit ring's references (<c>tx-ring-ref</c>, <c>tx-ring-ref0</c>..).</summary>
    public const string TransmitPrefix = "tx-";

    /// <summary>The prefix of the receive ring's references (<c>rx-ring-ref</c>, <c>rx-ring-ref0</c>..).</summary>
    public const string ReceivePrefix = "rx-";

    /// <summary>The transmit ring's event channel with <see cref="SplitEventChannels"/>.</summary>
    public const string TransmitEventChannel = "event-channel-tx";

    /// <summary>The receive ring's event channel with <see cref="SplitEventChannels"/>.</summary>
    public const string ReceiveEventChannel = "event-channel-rx";

    /// <summary>
    /// Separate event channels for TX and RX (<c>feature-split-event-channels</c>). Missing means off, one channel. The
    /// front end records its choice under the same key.
    /// </summary>
    public static XenBusFeature SplitEventChannels { get; } = XenBusFeature.Boolean("feature-split-event-channels");

    /// <summary>
    /// Scatter-gather (<c>feature-sg</c>): a packet may span a chain of slots (<c>NETTXF_more_data</c> /
    /// <c>NETRXF_more_data</c>), at most <see cref="NetPacketLimits.MaxSlots"/>. Missing means off: one slot, at most a page.
    /// </summary>
    public static XenBusFeature ScatterGather { get; } = XenBusFeature.Boolean("feature-sg");

    /// <summary>Hackathon item F (<c>feature-grant-map</c>): the back maps each granted page instead of copying it.</summary>
    public static XenBusFeature GrantMap { get; } = XenBusFeature.Boolean("feature-grant-map");

    /// <summary>Hackathon item G (<c>feature-persistent</c>): the front's buffers are granted once and kept mapped by the back.</summary>
    public static XenBusFeature Persistent { get; } = XenBusFeature.Boolean("feature-persistent");

    /// <summary>Hackathon item J (<c>feature-direct-map</c>): the back maps the front's whole memory once; requests carry frame numbers.</summary>
    public static XenBusFeature DirectMap { get; } = XenBusFeature.Boolean("feature-direct-map");

    /// <summary>The frontend-driven TLB flush (<c>feature-deferred-unmap</c>): the back defers unmaps until the front asks for a flush.</summary>
    public static XenBusFeature DeferredUnmap { get; } = XenBusFeature.Boolean("feature-deferred-unmap");

    /// <summary>
    /// Hackathon item H (<c>feature-numa-affinity</c>): the back places each queue's worker on the front's NUMA node
    /// (<see cref="NumaNode"/>) and binds the queue's shared pages there. Missing means off.
    /// </summary>
    public static XenBusFeature NumaAffinity { get; } = XenBusFeature.Boolean("feature-numa-affinity");

    /// <summary>The front's NUMA node (a decimal number), written with <see cref="NumaAffinity"/>.</summary>
    public const string NumaNode = "numa-node";

    /// <summary>The prefix of queue <paramref name="index"/>'s keys: none for a single queue, <c>queue-N/</c> with several (Linux netfront's layout).</summary>
    public static string QueuePrefix(int index, int queues) =>
        queues == 1 ? string.Empty : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"queue-{index}/");

    /// <summary>
    /// A PvRing extension: packets of at most <see cref="NetPacketLimits.MaxInlineSize"/> bytes travel inside their ring
    /// slot (128-byte slots, <see cref="NetDeviceFeatures.TransmitVariant"/>/<see cref="NetDeviceFeatures.ReceiveVariant"/>, flag <c>Inline</c>), with no page granted, mapped or
    /// copied for them: one line transfer fewer per small packet in each direction.
    /// </summary>
    public static XenBusFeature InlineData { get; } = XenBusFeature.Boolean("feature-inline-data");

    /// <summary>Every feature a net device negotiates: the bus's ring features and multiqueue, and the netif ones above.</summary>
    public static IReadOnlyList<XenBusFeature> All { get; } =
        [.. XenBusStandardFeatures.Ring, XenBusStandardFeatures.MultiQueue, SplitEventChannels, ScatterGather, GrantMap, Persistent, DirectMap, DeferredUnmap, NumaAffinity, InlineData];
}
