// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Bus;
using PvRing.Grants;
using PvRing.Rings;

namespace PvRing.Transport;

/// <summary>
/// The features of a net device that this package negotiates: the ring layout features (hackathon items B, C, I), the
/// ring page order (item A), split event channels, scatter-gather and the grant mode (items F, G, J and the deferred
/// unmap). A back end's value is what it offers (the order is its maximum, the grant modes a set), a front end's what
/// it wants (exactly one grant mode), and a connection's what both ends agreed: the intersection, the order capped by
/// the offer, and one grant mode (copy when the back does not offer the one the front wants).
/// </summary>
/// <param name="RingFeatures">The ring layout features.</param>
/// <param name="RingPageOrder">Each ring spans 2^order pages, 0..4 (Linux's <c>XENBUS_MAX_RING_GRANT_ORDER</c>).</param>
/// <param name="SplitEventChannels">One event channel per ring (<c>event-channel-tx</c>/<c>-rx</c>) instead of one shared.</param>
/// <param name="GrantModes">Offered: a set; wanted and agreed: exactly one (see <see cref="NetGrantModes"/>).</param>
/// <param name="ScatterGather">Packets may span slot chains (<c>feature-sg</c>), so up to <see cref="NetPacketLimits.MaxPacketSize"/> bytes; else one page.</param>
/// <param name="Queues">
/// Multiqueue (hackathon item E, Linux's <c>multi-queue-max-queues</c>/<c>multi-queue-num-queues</c>): offered, the most
/// queues the back serves; wanted and agreed, how many. Each queue has its own rings, event channels and grants, under
/// <c>queue-N/</c> when there are several. 1 to <see cref="MaxQueues"/>.
/// </param>
/// <param name="NumaAffinity">
/// Hackathon item H (<c>feature-numa-affinity</c>): the front writes <c>numa-node</c>, the node of its CPUs and memory, and
/// the back places each queue's worker on that node and binds the queue's shared pages to it.
/// </param>
/// <param name="InlineData">
/// A PvRing extension (<c>feature-inline-data</c>): transmit requests and receive responses have 128-byte aligned slots
/// (<see cref="TransmitVariant"/>, <see cref="ReceiveVariant"/>) and a packet of at most
/// <see cref="NetPacketLimits.MaxInlineSize"/> bytes travels in its slot, with no page granted, mapped or copied for it.
/// Agreed only with rings of <see cref="MinInlineRingPageOrder"/> or more.
/// </param>
public readonly record struct NetDeviceFeatures(
    RingFeatures RingFeatures, int RingPageOrder, bool SplitEventChannels, NetGrantModes GrantModes = NetGrantModes.All, bool ScatterGather = true,
    int Queues = 1, bool NumaAffinity = false, bool InlineData = false)
{
    /// <summary>
    /// The smallest ring page order at which <see cref="InlineData"/> is agreed (2: four pages, 64 transmit slots or more).
    /// At order 0 a ring of 128-byte slots holds 16, fewer than the 18 slots of a largest packet; at order 1 it holds 32,
    /// and a deferred-unmap front that keeps half its ids back for flushes stalled on 15-slot packets (the soak test found it).
    /// </summary>
    public const int MinInlineRingPageOrder = 2;

    /// <summary>The most queues a device may have (the bus's limit for <c>multi-queue-max-queues</c>).</summary>
    public const int MaxQueues = 256;

    private static readonly (NetGrantModes Mode, XenBusFeature Feature)[] s_modeFeatures =
    [
        (NetGrantModes.Map, NetifKeys.GrantMap),
        (NetGrantModes.Persistent, NetifKeys.Persistent),
        (NetGrantModes.DirectMap, NetifKeys.DirectMap),
        (NetGrantModes.DeferredUnmap, NetifKeys.DeferredUnmap),
    ];

    /// <summary>Everything off: Xen's classic one-page rings, one event channel, grant copy, one slot per packet, one queue.</summary>
    public static NetDeviceFeatures Classic => new(RingFeatures.None, 0, false, NetGrantModes.Copy, false);

    /// <summary>
    /// Every feature on, with the largest order and every grant mode, and NUMA affinity; one queue (a count rather than a
    /// switch: offer more with <c>All with { Queues = n }</c>, as <see cref="NetBackendOptions"/> does by default).
    /// </summary>
    public static NetDeviceFeatures All => new(RingFeatures.All, (int)XenBusStandardFeatures.RingPageOrder.Limit, true, NetGrantModes.All, true, 1, true, true);

    /// <summary>
    /// The queues a back end offers by default: one per CPU this process may use, at most 16 (Linux netback offers one
    /// per online CPU).
    /// </summary>
    public static int DefaultMaxQueues => Math.Clamp(Environment.ProcessorCount, 1, 16);

    /// <summary>
    /// The ring layout these features negotiate for netif rings. With <see cref="InlineData"/> the rings themselves are
    /// <see cref="TransmitVariant"/> and <see cref="ReceiveVariant"/>.
    /// </summary>
    public RingVariant Variant => new(RingFeatures, RingPageOrder, RingSlotKind.Network);

    /// <summary>
    /// The transmit ring's variant: <see cref="Variant"/>, or with <see cref="InlineData"/> aligned slots whose requests
    /// are 128 bytes (<see cref="RingSlotKind.InlineRequests"/>).
    /// </summary>
    public RingVariant TransmitVariant => InlineData ? new(RingFeatures | RingFeatures.AlignedSlots, RingPageOrder, RingSlotKind.InlineRequests) : Variant;

    /// <summary>
    /// The receive ring's variant: <see cref="Variant"/>, or with <see cref="InlineData"/> aligned slots whose responses
    /// are 128 bytes (<see cref="RingSlotKind.InlineResponses"/>).
    /// </summary>
    public RingVariant ReceiveVariant => InlineData ? new(RingFeatures | RingFeatures.AlignedSlots, RingPageOrder, RingSlotKind.InlineResponses) : Variant;

    /// <summary>The grant scheme of an agreed (or wanted) single mode.</summary>
    /// <exception cref="ArgumentException"><see cref="GrantModes"/> is not exactly one mode.</exception>
    public GrantScheme GrantScheme => GrantModes.ToScheme();

    /// <summary>The largest packet these features allow.</summary>
    public int MaxPacketSize => ScatterGather ? NetPacketLimits.MaxPacketSize : NetPacketLimits.MaxSingleSlotSize;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown feature bits, no grant mode, or an order outside 0..4.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(RingPageOrder, nameof(RingPageOrder));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)RingPageOrder, XenBusStandardFeatures.RingPageOrder.Limit, nameof(RingPageOrder));
        _ = Variant; // throws on unknown feature bits
        if (GrantModes == NetGrantModes.None || (GrantModes & ~NetGrantModes.All) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(GrantModes), GrantModes, "Give at least one known grant mode.");
        }

        if (Queues is < 1 or > MaxQueues)
        {
            throw new ArgumentOutOfRangeException(nameof(Queues), Queues, $"Queues must be 1 to {MaxQueues}.");
        }
    }

    /// <summary>The store keys and values, as the negotiation writes them, and the grant mode.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"ring-page-order={RingPageOrder} feature-split-indexes={Bit(RingFeatures.SplitIndexes)} feature-align-slot={Bit(RingFeatures.AlignedSlots)} " +
        $"feature-split-rings={Bit(RingFeatures.SplitRings)} feature-split-event-channels={(SplitEventChannels ? 1 : 0)} feature-sg={(ScatterGather ? 1 : 0)} " +
        $"multi-queue-num-queues={Queues} feature-numa-affinity={(NumaAffinity ? 1 : 0)} feature-inline-data={(InlineData ? 1 : 0)} grant-mode={DescribeModes(GrantModes)}");

    /// <summary>What a negotiation agreed; a front that accepted two grant modes is refused (the back's check).</summary>
    /// <exception cref="PvRingProtocolException">More than one grant mode is enabled.</exception>
    internal static NetDeviceFeatures From(XenBusNegotiation negotiation)
    {
        NetGrantModes mode = NetGrantModes.None;
        foreach ((NetGrantModes candidate, XenBusFeature feature) in s_modeFeatures)
        {
            if (negotiation.IsEnabled(feature))
            {
                if (mode != NetGrantModes.None)
                {
                    throw new PvRingProtocolException($"The front end chose two grant modes: {feature.ChoiceKey} and the one for {mode}.");
                }

                mode = candidate;
            }
        }

        return new NetDeviceFeatures(
            XenBusStandardFeatures.RingVariantOf(negotiation, RingSlotKind.Network).Features,
            (int)negotiation[XenBusStandardFeatures.RingPageOrder],
            negotiation.IsEnabled(NetifKeys.SplitEventChannels),
            mode == NetGrantModes.None ? NetGrantModes.Copy : mode,
            negotiation.IsEnabled(NetifKeys.ScatterGather),
            (int)negotiation[XenBusStandardFeatures.MultiQueue],
            negotiation.IsEnabled(NetifKeys.NumaAffinity),
            // Inline slots need four ring pages or more (MinInlineRingPageOrder).
            negotiation.IsEnabled(NetifKeys.InlineData) && negotiation[XenBusStandardFeatures.RingPageOrder] >= MinInlineRingPageOrder);
    }

    /// <summary>The value of every netif feature: offers for a back end, wishes for a front end.</summary>
    internal Dictionary<XenBusFeature, uint> ToValues()
    {
        var values = new Dictionary<XenBusFeature, uint>(XenBusStandardFeatures.RingVariantValues(Variant))
        {
            [NetifKeys.SplitEventChannels] = SplitEventChannels ? 1u : 0u,
            [NetifKeys.ScatterGather] = ScatterGather ? 1u : 0u,
            [XenBusStandardFeatures.MultiQueue] = (uint)Queues,
            [NetifKeys.NumaAffinity] = NumaAffinity ? 1u : 0u,
            [NetifKeys.InlineData] = InlineData ? 1u : 0u,
        };
        foreach ((NetGrantModes mode, XenBusFeature feature) in s_modeFeatures)
        {
            values[feature] = (GrantModes & mode) != 0 ? 1u : 0u;
        }

        return values;
    }

    private static string DescribeModes(NetGrantModes modes)
    {
        var names = new List<string>();
        foreach (NetGrantModes mode in new[] { NetGrantModes.Copy, NetGrantModes.Map, NetGrantModes.Persistent, NetGrantModes.DirectMap, NetGrantModes.DeferredUnmap })
        {
            if ((modes & mode) != 0)
            {
                names.Add(mode.ToName());
            }
        }

        return names.Count == 0 ? "none" : string.Join('|', names);
    }

    private int Bit(RingFeatures feature) => (RingFeatures & feature) != 0 ? 1 : 0;
}
