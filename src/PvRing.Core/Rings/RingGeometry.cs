// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>
/// Where a ring variant keeps its four indices and its slots, as byte offsets from the start of the
/// shared area. Front and back rings run the same ring.h operations over any geometry; the classic
/// geometry is Xen's <c>sring</c>.
/// </summary>
/// <remarks>
/// The two strides differ only with split rings, where each array holds one kind of entry; over one union array
/// (classic and the other variants) both are the union's stride and both offsets are equal.
/// </remarks>
internal readonly record struct RingGeometry(
    long Length,
    int HeaderSize,
    int RequestProducerOffset,
    int RequestEventOffset,
    int ResponseProducerOffset,
    int ResponseEventOffset,
    long RequestSlotsOffset,
    long ResponseSlotsOffset,
    int RequestSlotStride,
    int ResponseSlotStride,
    int SlotCount)
{
    /// <summary>
    /// Where in each request slot its producer writes the slot's stamp (<see cref="RingVariantLayout.InlineStampOffset"/>),
    /// or -1 when request slots carry none.
    /// </summary>
    public int RequestStampOffset { get; init; } = -1;

    /// <summary>As <see cref="RequestStampOffset"/>, for the response slots.</summary>
    public int ResponseStampOffset { get; init; } = -1;

    /// <summary>Xen's classic <c>sring</c> in <paramref name="length"/> bytes: see <see cref="SharedRingLayout"/>.</summary>
    public static RingGeometry Classic(long length, int entrySize) => new(
        length,
        SharedRingLayout.HeaderSize,
        SharedRingLayout.RequestProducerOffset,
        SharedRingLayout.RequestEventOffset,
        SharedRingLayout.ResponseProducerOffset,
        SharedRingLayout.ResponseEventOffset,
        RequestSlotsOffset: SharedRingLayout.HeaderSize,
        ResponseSlotsOffset: SharedRingLayout.HeaderSize,
        RequestSlotStride: entrySize,
        ResponseSlotStride: entrySize,
        SharedRingLayout.SlotCount(length, SharedRingLayout.HeaderSize, entrySize));

    /// <summary>Checks that the slots the geometry names lie inside the area and fit the entry types.</summary>
    public void Validate(int requestSize, int responseSize)
    {
        if (SlotCount <= 0 || (SlotCount & (SlotCount - 1)) != 0)
        {
            throw new ArgumentException($"Slot count must be a power of two: slotCount={SlotCount}.");
        }

        if (RequestSlotStride < requestSize || ResponseSlotStride < responseSize)
        {
            throw new ArgumentException(
                $"Slot stride is smaller than an entry: requestStride={RequestSlotStride}, request={requestSize}, responseStride={ResponseSlotStride}, response={responseSize}.");
        }

        if (RequestSlotsOffset == ResponseSlotsOffset && RequestSlotStride != ResponseSlotStride)
        {
            // One union array: a request and its response share a slot, so both must step alike.
            throw new ArgumentException($"A shared slot array needs one stride: requestStride={RequestSlotStride}, responseStride={ResponseSlotStride}.");
        }

        long end = Math.Max(RequestSlotsOffset + ((long)SlotCount * RequestSlotStride), ResponseSlotsOffset + ((long)SlotCount * ResponseSlotStride));
        if (end > Length || HeaderSize > Length)
        {
            throw new ArgumentException($"Ring geometry does not fit its area: end={end}, length={Length}.");
        }
    }
}
