// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Bus;

/// <summary>
/// The feature definitions PvRing negotiates. A later feature is one more definition here (and a row in
/// docs/store.md); the negotiation code does not change.
/// </summary>
public static class XenBusFeatures
{
    /// <summary>
    /// Multi-page rings: the back end offers <c>max-ring-page-order</c>, the front end writes
    /// <c>ring-page-order</c> (2^order pages per ring). Missing means 0, a single page. Linux caps it at 4
    /// (<c>XENBUS_MAX_RING_GRANT_ORDER</c>).
    /// </summary>
    public static XenBusFeature RingPageOrder { get; } = XenBusFeature.MaxNumber("max-ring-page-order", "ring-page-order", defaultValue: 0, minimum: 0, limit: 4);

    /// <summary>
    /// Separate event channels for TX and RX (netif <c>feature-split-event-channels</c>). Missing means off, one
    /// channel. The front end records its choice under the same key.
    /// </summary>
    public static XenBusFeature SplitEventChannels { get; } = XenBusFeature.Boolean("feature-split-event-channels");

    /// <summary>
    /// Multiqueue: the back end offers <c>multi-queue-max-queues</c>, the front end writes
    /// <c>multi-queue-num-queues</c> (at least 1). Missing means 1 queue.
    /// </summary>
    public static XenBusFeature MultiQueue { get; } = XenBusFeature.MaxNumber("multi-queue-max-queues", "multi-queue-num-queues", defaultValue: 1, minimum: 1, limit: 256);

    /// <summary>Every feature defined so far.</summary>
    public static IReadOnlyList<XenBusFeature> All { get; } = [RingPageOrder, SplitEventChannels, MultiQueue];
}
