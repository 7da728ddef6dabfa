// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Memory;
using PvRing.Protocols.Netif;

namespace PvRing.Transport;

/// <summary>The sizes netif allows, which both ends enforce on what the other sends.</summary>
public static class NetPacketLimits
{
    /// <summary>
    /// The largest packet: <c>XEN_NETIF_MAX_TX_SIZE</c>, 65535 bytes (64 KiB less one), since a chain's first slot carries
    /// the whole length in netif's 16-bit <c>size</c> field.
    /// </summary>
    public const int MaxPacketSize = NetifExtraType.MaxTxSize;

    /// <summary>The most slots one packet may take: 18, Linux's <c>XEN_NETBK_LEGACY_SLOTS_MAX</c> (<c>XEN_NETIF_NR_SLOTS_MIN</c>).</summary>
    public const int MaxSlots = NetifExtraType.MinSlotsPerPacket;

    /// <summary>
    /// With <c>feature-inline-data</c>: where a slot's inline payload starts (after the entry and the slot's stamp,
    /// <see cref="Rings.RingVariantLayout.InlineStampOffset"/>) in its 128-byte slot (<see cref="Rings.RingSlotKind.InlineRequests"/>,
    /// <see cref="Rings.RingSlotKind.InlineResponses"/>).
    /// </summary>
    public const int InlineOffset = Rings.RingVariantLayout.InlinePayloadOffset;

    /// <summary>
    /// With <c>feature-inline-data</c>: the largest packet that travels in its ring slot (112 bytes) instead of a granted
    /// page; larger ones take pages as without the feature.
    /// </summary>
    public const int MaxInlineSize = Rings.RingVariantLayout.InlineSlotAlignment - InlineOffset;

    /// <summary>The largest packet without <c>feature-sg</c>: one page.</summary>
    public const int MaxSingleSlotSize = XenPage.Size;

    /// <summary>
    /// How many single-slot packets a connection lends the application at once without copying
    /// (<see cref="PvRingConnection.ReceivePacketAsync"/>); beyond that a leased packet is a pooled copy.
    /// </summary>
    internal const int MaxHeldPackets = 64;

    /// <summary>
    /// How many slots a zero-copy take stages at most: more than one chain's <see cref="MaxSlots"/>, few enough that moving
    /// the rest down after each taken packet stays cheap (staging the whole ring made each take move up to 12 KiB).
    /// </summary>
    internal const int TakeWindow = 32;

    /// <summary>The slots a packet of <paramref name="length"/> bytes takes (one per 4 KiB page).</summary>
    public static int SlotsFor(int length) => Math.Max(1, (length + XenPage.Size - 1) >> XenPage.Shift);
}
