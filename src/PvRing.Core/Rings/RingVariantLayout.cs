// Licensed under the MIT License. See LICENSE in the repository root.

using System.Numerics;

namespace PvRing.Rings;

/// <summary>
/// The shared layout of every <see cref="RingVariant"/>, as data: where the four indices and the slot arrays lie
/// in a ring of 2^order pages. Front and back compute the same offsets from the same variant; nothing here
/// depends on the machine (docs/ring-variants.md has the diagrams and the reasons).
/// </summary>
/// <remarks>
/// <code>
///  classic (no feature): Xen's sring, see SharedRingLayout
///  +0 req_prod +4 req_event +8 rsp_prod +12 rsp_event | pad to 64 | ring[n] (union slots)
///
///  SplitIndexes: each index pair in its own 128-byte block, header 256
///  +0 req_prod +4 req_event | pad | +128 rsp_prod +132 rsp_event | pad | +256 ring[n]
///
///  SplitRings: classic 64-byte header, then n request slots, then (at the next multiple of 128) n response slots
///  +0..15 indices | +64 req[n] | pad to 128 | rsp[n]
///
///  SplitRings + SplitIndexes: two halves, each an index block of 128 bytes followed by its slots
///  +0 req_prod +4 req_event | +128 req[n] | pad to 128 | R: rsp_prod, R+4: rsp_event | R+128 rsp[n]
///
///  AlignedSlots: any of the above with the stride padded (see AlignedStride)
/// </code>
/// Every slot array starts at a multiple of 64, so with <see cref="RingFeatures.AlignedSlots"/> no slot straddles a
/// 64-byte line. n is the largest power of two for which everything fits (<c>__RD32</c>); with split rings both arrays
/// have n slots, so the front's <c>RING_FREE_REQUESTS</c> bounds both.
/// </remarks>
public static class RingVariantLayout
{
    /// <summary>The cache line the aligned layouts are built for; every slot array starts at a multiple of it.</summary>
    public const int CacheLineSize = 64;

    /// <summary>
    /// The block an index pair owns with <see cref="RingFeatures.SplitIndexes"/>: two 64-byte lines, so that a
    /// 128-byte-line machine (ARM64, POWER) or an x86 adjacent-line prefetcher also keeps the pairs apart. A fixed
    /// wire choice: both ends compute the same layout whatever their CPUs.
    /// </summary>
    public const int IndexBlockSize = 128;

    /// <summary>With split indexes: offset of <c>req_prod</c>.</summary>
    public const int SplitRequestProducerOffset = 0;

    /// <summary>With split indexes: offset of <c>req_event</c> (same block as <c>req_prod</c>).</summary>
    public const int SplitRequestEventOffset = 4;

    /// <summary>With split indexes and without split rings: offset of <c>rsp_prod</c>.</summary>
    public const int SplitResponseProducerOffset = IndexBlockSize;

    /// <summary>With split indexes and without split rings: offset of <c>rsp_event</c>.</summary>
    public const int SplitResponseEventOffset = IndexBlockSize + 4;

    /// <summary>With split indexes and without split rings: the header size and offset of slot 0.</summary>
    public const int SplitIndexesHeaderSize = 2 * IndexBlockSize;

    /// <summary>With split rings: the response array (and its index block) starts at a multiple of this.</summary>
    public const int SplitRingsAlignment = 128;

    /// <summary>With aligned slots: the smallest network slot stride (hackathon item C: 16 bytes).</summary>
    public const int NetworkSlotAlignment = 16;

    /// <summary>With aligned slots: the block slot stride is a multiple of this (hackathon item C: 64 bytes).</summary>
    public const int BlockSlotAlignment = 64;

    /// <summary>The slot stride of <paramref name="variant"/> for <typeparamref name="TRequest"/>/<typeparamref name="TResponse"/>.</summary>
    public static int SlotStride<TRequest, TResponse>(RingVariant variant)
        where TRequest : unmanaged
        where TResponse : unmanaged => Geometry<TRequest, TResponse>(variant).SlotStride;

    /// <summary>The number of slots (in each array, with split rings) of <paramref name="variant"/>: a power of two.</summary>
    public static int SlotCount<TRequest, TResponse>(RingVariant variant)
        where TRequest : unmanaged
        where TResponse : unmanaged => Geometry<TRequest, TResponse>(variant).SlotCount;

    /// <summary>The size of the ring of <paramref name="variant"/>: 4096 × 2^order bytes.</summary>
    public static long Length(RingVariant variant) => SharedRingLayout.LengthForOrder(variant.Order);

    /// <summary>
    /// The stride of an aligned slot of <paramref name="entrySize"/> bytes: rounded up to the kind's alignment, then,
    /// below a line, to a power of two (16, 32, 64) and, above, to a multiple of 64, so that a slot array that starts
    /// on a line boundary has no slot across a line.
    /// </summary>
    public static int AlignedStride(int entrySize, RingSlotKind kind)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(entrySize);
        int alignment = kind == RingSlotKind.Block ? BlockSlotAlignment : NetworkSlotAlignment;
        int stride = AlignUp(entrySize, alignment);
        return stride < CacheLineSize ? (int)BitOperations.RoundUpToPowerOf2((uint)stride) : AlignUp(stride, CacheLineSize);
    }

    internal static RingGeometry Geometry<TRequest, TResponse>(RingVariant variant)
        where TRequest : unmanaged
        where TResponse : unmanaged => Geometry(variant, SharedRingLayout.EntrySize<TRequest, TResponse>());

    /// <summary>The geometry of <paramref name="variant"/> for slots of <paramref name="entrySize"/> bytes (the union's size).</summary>
    internal static RingGeometry Geometry(RingVariant variant, int entrySize)
    {
        long length = Length(variant);
        if (variant.IsClassic)
        {
            return RingGeometry.Classic(length, entrySize);
        }

        int stride = variant.AlignedSlots ? AlignedStride(entrySize, variant.SlotKind) : entrySize;
        return variant.SplitRings ? SplitRings(variant, length, stride) : SharedArray(variant, length, stride);
    }

    // One union array, as classic, behind a classic or a split header.
    private static RingGeometry SharedArray(RingVariant variant, long length, int stride)
    {
        int header = variant.SplitIndexes ? SplitIndexesHeaderSize : SharedRingLayout.HeaderSize;
        return new RingGeometry(
            length,
            header,
            variant.SplitIndexes ? SplitRequestProducerOffset : SharedRingLayout.RequestProducerOffset,
            variant.SplitIndexes ? SplitRequestEventOffset : SharedRingLayout.RequestEventOffset,
            variant.SplitIndexes ? SplitResponseProducerOffset : SharedRingLayout.ResponseProducerOffset,
            variant.SplitIndexes ? SplitResponseEventOffset : SharedRingLayout.ResponseEventOffset,
            RequestSlotsOffset: header,
            ResponseSlotsOffset: header,
            stride,
            SharedRingLayout.SlotCount(length, header, stride));
    }

    // A request half and a response half. Without split indexes the classic header holds all four indices; with
    // them each half starts with its own index block.
    private static RingGeometry SplitRings(RingVariant variant, long length, int stride)
    {
        int requestHeader = variant.SplitIndexes ? IndexBlockSize : SharedRingLayout.HeaderSize;
        int responseHeader = variant.SplitIndexes ? IndexBlockSize : 0;
        long fit = (length - requestHeader - responseHeader) / (2L * stride);
        if (fit < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"Not one pair of {stride}-byte slots fits in a {length}-byte ring ({variant}).");
        }

        // __RD32, then halve while the padding before the response half does not fit.
        long count = 1L << BitOperations.Log2((ulong)Math.Min(fit, 1L << 30));
        while (count > 1 && ResponseHalf(requestHeader, count, stride) + responseHeader + (count * stride) > length)
        {
            count >>= 1;
        }

        long responseHalf = ResponseHalf(requestHeader, count, stride);
        if (responseHalf + responseHeader + (count * stride) > length)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"Not one pair of {stride}-byte slots fits in a {length}-byte ring ({variant}).");
        }

        return new RingGeometry(
            length,
            requestHeader,
            variant.SplitIndexes ? SplitRequestProducerOffset : SharedRingLayout.RequestProducerOffset,
            variant.SplitIndexes ? SplitRequestEventOffset : SharedRingLayout.RequestEventOffset,
            variant.SplitIndexes ? checked((int)responseHalf) : SharedRingLayout.ResponseProducerOffset,
            variant.SplitIndexes ? checked((int)responseHalf + 4) : SharedRingLayout.ResponseEventOffset,
            RequestSlotsOffset: requestHeader,
            ResponseSlotsOffset: responseHalf + responseHeader,
            stride,
            (int)count);
    }

    private static long ResponseHalf(int requestHeader, long count, int stride) => AlignUp(requestHeader + (count * stride), SplitRingsAlignment);

    private static int AlignUp(int value, int alignment) => (value + alignment - 1) / alignment * alignment;

    private static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
}
