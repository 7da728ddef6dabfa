// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>
/// Where a ring variant keeps its four indices and its slots, as byte offsets from the start of the
/// shared area. Front and back rings run the same ring.h operations over any geometry; the classic
/// geometry is Xen's <c>sring</c>.
/// </summary>
internal readonly record struct RingGeometry(
    long Length,
    int HeaderSize,
    int RequestProducerOffset,
    int RequestEventOffset,
    int ResponseProducerOffset,
    int ResponseEventOffset,
    long RequestSlotsOffset,
    long ResponseSlotsOffset,
    int SlotStride,
    int SlotCount)
{
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
        entrySize,
        SharedRingLayout.SlotCount(length, SharedRingLayout.HeaderSize, entrySize));

    /// <summary>Checks that the slots the geometry names lie inside the area and fit the entry types.</summary>
    public void Validate(int requestSize, int responseSize)
    {
        if (SlotCount <= 0 || (SlotCount & (SlotCount - 1)) != 0)
        {
            throw new ArgumentException($"Slot count must be a power of two: slotCount={SlotCount}.");
        }

        if (SlotStride < requestSize || SlotStride < responseSize)
        {
            throw new ArgumentException($"Slot stride {SlotStride} is smaller than an entry (request={requestSize}, response={responseSize}).");
        }

        long end = Math.Max(RequestSlotsOffset, ResponseSlotsOffset) + ((long)SlotCount * SlotStride);
        if (end > Length || HeaderSize > Length)
        {
            throw new ArgumentException($"Ring geometry does not fit its area: end={end}, length={Length}.");
        }
    }
}
