// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Bus;
using PvRing.Rings;

namespace PvRing.Transport;

/// <summary>
/// The features of a net device that this package negotiates: the ring layout features (hackathon items B, C, I),
/// the ring page order (item A) and split event channels. A back end's value is what it offers (the order is its
/// maximum), a front end's what it wants, and a connection's what both ends agreed: the intersection, with the order
/// capped by the offer.
/// </summary>
/// <param name="RingFeatures">The ring layout features.</param>
/// <param name="RingPageOrder">Each ring spans 2^order pages, 0..4 (Linux's <c>XENBUS_MAX_RING_GRANT_ORDER</c>).</param>
/// <param name="SplitEventChannels">One event channel per ring (<c>event-channel-tx</c>/<c>-rx</c>) instead of one shared.</param>
public readonly record struct NetDeviceFeatures(RingFeatures RingFeatures, int RingPageOrder, bool SplitEventChannels)
{
    /// <summary>Everything off: Xen's classic one-page rings and one event channel.</summary>
    public static NetDeviceFeatures Classic => new(RingFeatures.None, 0, false);

    /// <summary>Everything on, with the largest order (what a back end offers by default).</summary>
    public static NetDeviceFeatures All => new(RingFeatures.All, (int)XenBusFeatures.RingPageOrder.Limit, true);

    /// <summary>The ring variant of these features for netif rings.</summary>
    public RingVariant Variant => new(RingFeatures, RingPageOrder, RingSlotKind.Network);

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown feature bits or an order outside 0..4.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(RingPageOrder, nameof(RingPageOrder));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)RingPageOrder, XenBusFeatures.RingPageOrder.Limit, nameof(RingPageOrder));
        _ = Variant; // throws on unknown feature bits
    }

    /// <summary>The store keys and values, as the negotiation writes them.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"ring-page-order={RingPageOrder} feature-split-indexes={Bit(RingFeatures.SplitIndexes)} feature-align-slot={Bit(RingFeatures.AlignedSlots)} " +
        $"feature-split-rings={Bit(RingFeatures.SplitRings)} feature-split-event-channels={(SplitEventChannels ? 1 : 0)}");

    internal static NetDeviceFeatures From(XenBusNegotiation negotiation) => new(
        XenBusFeatures.RingVariantOf(negotiation, RingSlotKind.Network).Features,
        (int)negotiation[XenBusFeatures.RingPageOrder],
        negotiation.IsEnabled(XenBusFeatures.SplitEventChannels));

    internal Dictionary<XenBusFeature, uint> ToValues()
    {
        var values = new Dictionary<XenBusFeature, uint>(XenBusFeatures.RingVariantValues(Variant))
        {
            [XenBusFeatures.SplitEventChannels] = SplitEventChannels ? 1u : 0u,
        };
        return values;
    }

    private int Bit(RingFeatures feature) => (RingFeatures & feature) != 0 ? 1 : 0;
}
