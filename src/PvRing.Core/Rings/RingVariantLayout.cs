// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;

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
/// With split rings each array has its own stride: req[] steps by the request's size and rsp[] by the response's
/// (each padded by <see cref="AlignedStride"/> when aligned slots are on), not by the union's, so a ring with small
/// responses holds as many slots as its bytes allow. Over one union array both strides are the union's.
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

    /// <summary>
    /// With aligned slots of <see cref="RingSlotKind.InlineRequests"/> or <see cref="RingSlotKind.InlineResponses"/>: the
    /// inline direction's stride is a multiple of this (two lines).
    /// </summary>
    public const int InlineSlotAlignment = 128;

    /// <summary>
    /// In an inline slot (<see cref="RingSlotKind.InlineRequests"/>, <see cref="RingSlotKind.InlineResponses"/> with aligned
    /// slots): the offset of the slot's <b>stamp</b>, a 32-bit word after an entry of at most this many bytes. The producer
    /// writes the slot's ring index + 1 there when it publishes the slot (before the producer index, the slots of one publish
    /// last to first), so a consumer that waits for the next slot can watch the slot's own line instead of the index's, and
    /// reads the index only when no stamp is there. A PvRing extension: it travels with the inline slots.
    /// </summary>
    public const int InlineStampOffset = 12;

    /// <summary>In an inline slot: where the payload the protocol carries in it starts, after the entry and the stamp.</summary>
    public const int InlinePayloadOffset = 16;

    /// <summary>
    /// The request slot stride of <paramref name="variant"/> for <typeparamref name="TRequest"/>/<typeparamref name="TResponse"/>:
    /// the union's (padded with aligned slots), or with split rings the request's own (padded likewise).
    /// </summary>
    public static int SlotStride<TRequest, TResponse>(RingVariant variant)
        where TRequest : unmanaged
        where TResponse : unmanaged => Geometry<TRequest, TResponse>(variant).RequestSlotStride;

    /// <summary>
    /// The response slot stride of <paramref name="variant"/>: equal to <see cref="SlotStride{TRequest, TResponse}"/>
    /// over one union array; with split rings the response's own size (padded with aligned slots).
    /// </summary>
    public static int ResponseSlotStride<TRequest, TResponse>(RingVariant variant)
        where TRequest : unmanaged
        where TResponse : unmanaged => Geometry<TRequest, TResponse>(variant).ResponseSlotStride;

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
        int alignment = kind switch
        {
            RingSlotKind.Block => BlockSlotAlignment,
            RingSlotKind.InlineRequests or RingSlotKind.InlineResponses => InlineSlotAlignment,
            _ => NetworkSlotAlignment,
        };
        int stride = AlignUp(entrySize, alignment);
        return stride < CacheLineSize ? (int)BitOperations.RoundUpToPowerOf2((uint)stride) : AlignUp(stride, CacheLineSize);
    }

    internal static RingGeometry Geometry<TRequest, TResponse>(RingVariant variant)
        where TRequest : unmanaged
        where TResponse : unmanaged => Geometry(variant, Unsafe.SizeOf<TRequest>(), Unsafe.SizeOf<TResponse>());

    /// <summary>
    /// The geometry of <paramref name="variant"/> for requests of <paramref name="requestSize"/> and responses of
    /// <paramref name="responseSize"/> bytes: one union array of the larger size, or with split rings one array of each.
    /// </summary>
    internal static RingGeometry Geometry(RingVariant variant, int requestSize, int responseSize)
    {
        RingGeometry geometry = UnstampedGeometry(variant, requestSize, responseSize);
        if (!variant.AlignedSlots || variant.SlotKind is not (RingSlotKind.InlineRequests or RingSlotKind.InlineResponses))
        {
            return geometry;
        }

        // The inline direction's slots carry stamps where no entry that shares the slot reaches: over one union array both
        // entries, with split rings the inline direction's own.
        bool union = geometry.RequestSlotsOffset == geometry.ResponseSlotsOffset;
        int entry = union ? Math.Max(requestSize, responseSize) : variant.SlotKind == RingSlotKind.InlineRequests ? requestSize : responseSize;
        if (entry > InlineStampOffset)
        {
            return geometry;
        }

        return variant.SlotKind == RingSlotKind.InlineRequests
            ? geometry with { RequestStampOffset = InlineStampOffset }
            : geometry with { ResponseStampOffset = InlineStampOffset };
    }

    private static RingGeometry UnstampedGeometry(RingVariant variant, int requestSize, int responseSize)
    {
        long length = Length(variant);
        int entrySize = Math.Max(requestSize, responseSize);
        if (variant.IsClassic)
        {
            return RingGeometry.Classic(length, entrySize);
        }

        if (variant.SplitRings)
        {
            // An inline ring pads only its inline direction; the other keeps the dense network stride.
            return SplitRings(
                variant,
                length,
                Stride(variant, requestSize, variant.SlotKind == RingSlotKind.InlineResponses ? RingSlotKind.Network : variant.SlotKind),
                Stride(variant, responseSize, variant.SlotKind == RingSlotKind.InlineRequests ? RingSlotKind.Network : variant.SlotKind));
        }

        return SharedArray(variant, length, Stride(variant, entrySize, variant.SlotKind));
    }

    private static int Stride(RingVariant variant, int entrySize, RingSlotKind kind) => variant.AlignedSlots ? AlignedStride(entrySize, kind) : entrySize;

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
            RequestSlotStride: stride,
            ResponseSlotStride: stride,
            SharedRingLayout.SlotCount(length, header, stride));
    }

    // A request half and a response half. Without split indexes the classic header holds all four indices; with
    // them each half starts with its own index block.
    private static RingGeometry SplitRings(RingVariant variant, long length, int requestStride, int responseStride)
    {
        int requestHeader = variant.SplitIndexes ? IndexBlockSize : SharedRingLayout.HeaderSize;
        int responseHeader = variant.SplitIndexes ? IndexBlockSize : 0;
        long fit = (length - requestHeader - responseHeader) / (requestStride + responseStride);
        if (fit < 1)
        {
            ThrowNoPairFits(variant, length, requestStride, responseStride);
        }

        // __RD32, then halve while the padding before the response half does not fit.
        long count = 1L << BitOperations.Log2((ulong)Math.Min(fit, 1L << 30));
        while (count > 1 && ResponseHalf(requestHeader, count, requestStride) + responseHeader + (count * responseStride) > length)
        {
            count >>= 1;
        }

        long responseHalf = ResponseHalf(requestHeader, count, requestStride);
        if (responseHalf + responseHeader + (count * responseStride) > length)
        {
            ThrowNoPairFits(variant, length, requestStride, responseStride);
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
            requestStride,
            responseStride,
            (int)count);
    }

    [DoesNotReturn]
    private static void ThrowNoPairFits(RingVariant variant, long length, int requestStride, int responseStride) =>
        throw new ArgumentOutOfRangeException(
            nameof(variant), variant, $"Not one pair of slots (request stride={requestStride}, response stride={responseStride}) fits in a {length}-byte ring.");

    private static long ResponseHalf(int requestHeader, long count, int stride) => AlignUp(requestHeader + (count * stride), SplitRingsAlignment);

    private static int AlignUp(int value, int alignment) => (value + alignment - 1) / alignment * alignment;

    private static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
}
