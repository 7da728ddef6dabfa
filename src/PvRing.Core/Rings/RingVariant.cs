// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>
/// An immutable description of a ring's shared layout: its <see cref="RingFeatures"/>, its size (2^<see cref="Order"/>
/// pages) and the kind of slot it carries. Both ends must use the same variant; the XenBus negotiation yields it
/// (<see cref="Bus.XenBusStandardFeatures.NegotiateRingVariant"/>, <see cref="Bus.XenBusStandardFeatures.RingVariantOf"/>). The default value is the classic one-page ring.
/// </summary>
/// <remarks>
/// A variant is only data: <see cref="RingVariantLayout"/> turns it into offsets, and the ring operations never branch
/// on it, so every variant runs the same code as the classic ring.
/// </remarks>
public readonly record struct RingVariant
{
    /// <summary>Creates a variant.</summary>
    /// <param name="features">The layout features; only the bits of <see cref="RingFeatures.All"/> are allowed.</param>
    /// <param name="order">The ring spans 2^order pages, 0..<see cref="SharedRingLayout.MaxOrder"/>.</param>
    /// <param name="slotKind">Network, block or network slots with one inline direction (the alignment <see cref="RingFeatures.AlignedSlots"/> pads to).</param>
    /// <exception cref="ArgumentOutOfRangeException">An unknown feature bit, slot kind or an order out of range.</exception>
    public RingVariant(RingFeatures features, int order = 0, RingSlotKind slotKind = RingSlotKind.Network)
    {
        if ((features & ~RingFeatures.All) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(features), features, "Unknown ring feature bits.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(order);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(order, SharedRingLayout.MaxOrder);
        if (slotKind is not (RingSlotKind.Network or RingSlotKind.Block or RingSlotKind.InlineRequests or RingSlotKind.InlineResponses))
        {
            throw new ArgumentOutOfRangeException(nameof(slotKind), slotKind, "Unknown slot kind.");
        }

        Features = features;
        Order = order;
        SlotKind = slotKind;
    }

    /// <summary>The layout features.</summary>
    public RingFeatures Features { get; }

    /// <summary>The ring spans 2^<see cref="Order"/> pages of 4096 bytes.</summary>
    public int Order { get; }

    /// <summary>Network or block slots.</summary>
    public RingSlotKind SlotKind { get; }

    /// <summary>Whether this is Xen's classic <c>sring</c> (no feature), byte-compatible with <c>io/ring.h</c>.</summary>
    public bool IsClassic => Features == RingFeatures.None;

    /// <summary>Item B: the two index pairs are in separate 128-byte blocks.</summary>
    public bool SplitIndexes => (Features & RingFeatures.SplitIndexes) != 0;

    /// <summary>Item C: slots are padded so that none straddles a cache line.</summary>
    public bool AlignedSlots => (Features & RingFeatures.AlignedSlots) != 0;

    /// <summary>Item I: separate request and response slot arrays.</summary>
    public bool SplitRings => (Features & RingFeatures.SplitRings) != 0;

    /// <summary>The classic ring of 2^<paramref name="order"/> pages.</summary>
    public static RingVariant Classic(int order = 0) => new(RingFeatures.None, order);

    /// <inheritdoc/>
    public override string ToString() =>
        $"{(IsClassic ? "classic" : Features.ToString().Replace(", ", "+", StringComparison.Ordinal))} order={Order} {SlotKind}";
}
