// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Rings;

namespace PvRing.Bus;

/// <summary>
/// The catalogue of standard <see cref="XenBusFeature"/> definitions that any device may negotiate: ring layout
/// (hackathon items A, B, C, I) and multiqueue. Device-specific features
/// (netif's split event channels, scatter-gather and grant modes) are defined by their device, in the same shape; the
/// negotiation code does not change for either.
/// </summary>
public static class XenBusStandardFeatures
{
    /// <summary>
    /// Multi-page rings: the back end offers <c>max-ring-page-order</c>, the front end writes
    /// <c>ring-page-order</c> (2^order pages per ring). Missing means 0, a single page. Linux caps it at 4
    /// (<c>XENBUS_MAX_RING_GRANT_ORDER</c>).
    /// </summary>
    public static XenBusFeature RingPageOrder { get; } = XenBusFeature.MaxNumber("max-ring-page-order", "ring-page-order", defaultValue: 0, minimum: 0, limit: 4);

    /// <summary>
    /// Multiqueue: the back end offers <c>multi-queue-max-queues</c>, the front end writes
    /// <c>multi-queue-num-queues</c> (at least 1). Missing means 1 queue.
    /// </summary>
    public static XenBusFeature MultiQueue { get; } = XenBusFeature.MaxNumber("multi-queue-max-queues", "multi-queue-num-queues", defaultValue: 1, minimum: 1, limit: 256);

    /// <summary>
    /// Hackathon item B, split producer/consumer indexes (<see cref="RingFeatures.SplitIndexes"/>): each index pair in
    /// its own 128-byte block. Missing means off, the classic 64-byte header. The front end records its choice under the
    /// same key.
    /// </summary>
    public static XenBusFeature SplitIndexes { get; } = XenBusFeature.Boolean("feature-split-indexes");

    /// <summary>
    /// Hackathon item C, cache-aligned slots (<see cref="RingFeatures.AlignedSlots"/>): net slots padded to 16 bytes,
    /// block slots to 64. Missing means off, slots of the union's size.
    /// </summary>
    public static XenBusFeature AlignSlot { get; } = XenBusFeature.Boolean("feature-align-slot");

    /// <summary>
    /// Hackathon item I, separate request and response rings (<see cref="RingFeatures.SplitRings"/>). Missing means off,
    /// one array of request/response unions.
    /// </summary>
    public static XenBusFeature SplitRings { get; } = XenBusFeature.Boolean("feature-split-rings");

    /// <summary>
    /// The ring features any device's rings may negotiate (page order, split indexes, aligned slots, split rings). A
    /// device hands the negotiator these plus its own (netif's live in PvRing.Transport); only the features a device
    /// lists are offered, chosen and checked.
    /// </summary>
    public static IReadOnlyList<XenBusFeature> Ring { get; } = [RingPageOrder, SplitIndexes, AlignSlot, SplitRings];

    /// <summary>
    /// What every device negotiates whether or not it lists them: the ring features and multiqueue, each at its classic
    /// default unless offered and chosen. A device adds its own features by listing them in its offers or wishes.
    /// </summary>
    public static IReadOnlyList<XenBusFeature> Generic { get; } = [.. Ring, MultiQueue];

    /// <summary>
    /// The ring variant two ends agree on, without a store: the features both the back end offers and the front end
    /// wants (the intersection), and the front's wanted order capped by the back's maximum
    /// (<see cref="RingPageOrder"/>'s rule). This is what <see cref="RingVariantOf"/> yields after a real negotiation.
    /// </summary>
    /// <param name="backOffers">The back end's offered features and its maximum order.</param>
    /// <param name="frontWants">The front end's wished features and its wanted order.</param>
    /// <exception cref="ArgumentException">The two ends disagree on the slot kind (net versus block): not one device.</exception>
    public static RingVariant NegotiateRingVariant(RingVariant backOffers, RingVariant frontWants)
    {
        if (backOffers.SlotKind != frontWants.SlotKind)
        {
            throw new ArgumentException($"The back offers {backOffers.SlotKind} slots, the front wants {frontWants.SlotKind} slots.", nameof(frontWants));
        }

        uint order = RingPageOrder.Choose((uint)backOffers.Order, (uint)frontWants.Order);
        return new RingVariant(backOffers.Features & frontWants.Features, (int)order, backOffers.SlotKind);
    }

    /// <summary>
    /// The store values that describe <paramref name="variant"/>: one boolean per ring feature and the page order. A
    /// back end passes them as its offers (the order is then its maximum), a front end as its wishes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The order exceeds <see cref="RingPageOrder"/>'s limit.</exception>
    public static IReadOnlyDictionary<XenBusFeature, uint> RingVariantValues(RingVariant variant)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)variant.Order, RingPageOrder.Limit, nameof(variant));
        return new Dictionary<XenBusFeature, uint>
        {
            [SplitIndexes] = variant.SplitIndexes ? 1u : 0u,
            [AlignSlot] = variant.AlignedSlots ? 1u : 0u,
            [SplitRings] = variant.SplitRings ? 1u : 0u,
            [RingPageOrder] = (uint)variant.Order,
        };
    }

    /// <summary>The ring variant a finished negotiation chose, for rings of <paramref name="slotKind"/>.</summary>
    public static RingVariant RingVariantOf(XenBusNegotiation negotiation, RingSlotKind slotKind)
    {
        ArgumentNullException.ThrowIfNull(negotiation);
        RingFeatures features =
            (negotiation.IsEnabled(SplitIndexes) ? RingFeatures.SplitIndexes : RingFeatures.None)
            | (negotiation.IsEnabled(AlignSlot) ? RingFeatures.AlignedSlots : RingFeatures.None)
            | (negotiation.IsEnabled(SplitRings) ? RingFeatures.SplitRings : RingFeatures.None);
        return new RingVariant(features, (int)negotiation[RingPageOrder], slotKind);
    }
}
