// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using PvRing.Memory;

namespace PvRing.Rings;

/// <summary>
/// Where one ring's shared indices and slots are in this process: the pointers both ends compute from a mapping
/// and a <see cref="RingGeometry"/>, checked once so that no slot address can leave the mapping.
/// </summary>
internal readonly unsafe struct SharedRingView
{
    public readonly uint* RequestProducer;
    public readonly uint* RequestEvent;
    public readonly uint* ResponseProducer;
    public readonly uint* ResponseEvent;
    public readonly byte* RequestSlots;
    public readonly byte* ResponseSlots;
    public readonly nuint RequestStride;
    public readonly nuint ResponseStride;
    public readonly uint Size;
    public readonly uint Mask;
    public readonly int RequestStampOffset;
    public readonly int ResponseStampOffset;

    public SharedRingView(SharedMemoryFile memory, long offset, RingGeometry geometry, int requestSize, int responseSize)
        : this(Checked(memory).Pointer, memory.Length, offset, geometry, requestSize, responseSize)
    {
    }

    /// <summary>A view of the ring at <paramref name="offset"/> of the <paramref name="length"/> mapped bytes at <paramref name="mapping"/>.</summary>
    public SharedRingView(byte* mapping, long length, long offset, RingGeometry geometry, int requestSize, int responseSize)
    {
        geometry.Validate(requestSize, responseSize);
        if (offset < 0 || offset + geometry.Length > length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"The ring (length={geometry.Length}) does not fit the mapping (length={length}).");
        }

        byte* area = mapping + offset;
        Header = area;
        RequestProducer = (uint*)(area + geometry.RequestProducerOffset);
        RequestEvent = (uint*)(area + geometry.RequestEventOffset);
        ResponseProducer = (uint*)(area + geometry.ResponseProducerOffset);
        ResponseEvent = (uint*)(area + geometry.ResponseEventOffset);
        RequestSlots = area + geometry.RequestSlotsOffset;
        ResponseSlots = area + geometry.ResponseSlotsOffset;
        RequestStride = (nuint)geometry.RequestSlotStride;
        ResponseStride = (nuint)geometry.ResponseSlotStride;
        Size = (uint)geometry.SlotCount;
        Mask = Size - 1;
        RequestStampOffset = geometry.RequestStampOffset;
        ResponseStampOffset = geometry.ResponseStampOffset;
        Geometry = geometry;
    }

    public byte* Header { get; }

    public RingGeometry Geometry { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* RequestSlot(uint index) => RequestSlots + ((index & Mask) * RequestStride);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* ResponseSlot(uint index) => ResponseSlots + ((index & Mask) * ResponseStride);

    /// <summary>The stamp of request slot <paramref name="index"/> (only with <see cref="RequestStampOffset"/> &gt;= 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint* RequestStamp(uint index) => (uint*)(RequestSlot(index) + RequestStampOffset);

    /// <summary>The stamp of response slot <paramref name="index"/> (only with <see cref="ResponseStampOffset"/> &gt;= 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint* ResponseStamp(uint index) => (uint*)(ResponseSlot(index) + ResponseStampOffset);

    /// <summary>Zeroes every stamp (the front's <c>SHARED_RING_INIT</c>): no slot of an earlier life passes for a new one.</summary>
    public void ClearStamps()
    {
        for (uint i = 0; i < Size; i++)
        {
            if (RequestStampOffset >= 0)
            {
                *RequestStamp(i) = 0;
            }

            if (ResponseStampOffset >= 0)
            {
                *ResponseStamp(i) = 0;
            }
        }
    }

    /// <summary>
    /// With stamped request slots: stamps the slots (<paramref name="stamped"/>, <paramref name="producer"/>] of a publish,
    /// last to first (each its index + 1, a release store), so that a consumer that finds the first one's stamp finds every
    /// later one's; <paramref name="stamped"/> moves to <paramref name="producer"/>. Nothing without stamps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StampRequests(ref uint stamped, uint producer)
    {
        if (RequestStampOffset >= 0)
        {
            Stamp(RequestSlots, RequestStride, RequestStampOffset, stamped, producer);
            stamped = producer;
        }
    }

    /// <summary>As <see cref="StampRequests"/>, for the response slots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StampResponses(ref uint stamped, uint producer)
    {
        if (ResponseStampOffset >= 0)
        {
            Stamp(ResponseSlots, ResponseStride, ResponseStampOffset, stamped, producer);
            stamped = producer;
        }
    }

    /// <summary>
    /// With stamped request slots: moves <paramref name="seen"/> past the slots from it on whose stamps say the producer
    /// wrote them, up to <paramref name="limit"/>, and returns whether it moved (false without stamps).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TakeRequestStamps(ref uint seen, uint limit) => RequestStampOffset >= 0 && Take(RequestSlots, RequestStride, RequestStampOffset, ref seen, limit);

    /// <summary>As <see cref="TakeRequestStamps"/>, for the response slots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TakeResponseStamps(ref uint seen, uint limit) => ResponseStampOffset >= 0 && Take(ResponseSlots, ResponseStride, ResponseStampOffset, ref seen, limit);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Stamp(byte* slots, nuint stride, int stampOffset, uint from, uint to)
    {
        for (uint i = to; i != from;)
        {
            i--;
            MemoryOrder.WriteRelease((uint*)(slots + ((i & Mask) * stride) + stampOffset), i + 1);
        }
    }

    // Index 2^32 - 1's stamp is 0, a cleared slot's value, so that slot is never taken by its stamp (the index covers it).
    //
    // The first slot's poll also loads the slot's second line (a stamped slot is 128 bytes: the entry, the stamp and 48
    // payload bytes in its first line, the rest of the payload in the second). The two loads are independent, so while a
    // consumer waits both lines are fetched together in every poll, and the poll that finds the stamp finds the second
    // line already here (its bytes were published before the stamp). Without it the copy that follows missed on the second
    // line after the stamp's: two line transfers one after the other on each leg of a round trip (apipingpong's netif case:
    // 113 ns from the stamp to the copied packet at the back, 33 ns with it; docs/benchmarks.md, session 11). The value is
    // not used: the copy reads the line again after the stamp, in order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Take(byte* slots, nuint stride, int stampOffset, ref uint seen, uint limit)
    {
        uint index = seen;
        while (index != limit && index != uint.MaxValue)
        {
            byte* slot = slots + ((index & Mask) * stride);
            uint stamp = MemoryOrder.ReadAcquire((uint*)(slot + stampOffset));
            if (index == seen && stride > RingVariantLayout.CacheLineSize)
            {
                _ = Volatile.Read(ref *(slot + RingVariantLayout.CacheLineSize));
            }

            if (stamp != index + 1)
            {
                break;
            }

            index++;
        }

        bool moved = index != seen;
        seen = index;
        return moved;
    }

    /// <summary>
    /// The fastest <see cref="ISlotLayout"/> whose strides and arrays are exactly this view's, for entries of
    /// <typeparamref name="TRequest"/> and <typeparamref name="TResponse"/>.
    /// </summary>
    public SlotLayoutKind SlotLayout<TRequest, TResponse>()
        where TRequest : unmanaged
        where TResponse : unmanaged
    {
        if (RequestSlots == ResponseSlots)
        {
            // One union array: both strides are equal (RingGeometry.Validate).
            return Matches<ConstantUnionSlots<TRequest, TResponse>>() ? SlotLayoutKind.ConstantUnion
                : Matches<AlignedUnionSlots<TRequest, TResponse, NetworkSlotAlignment>>() ? SlotLayoutKind.AlignedUnionNetwork
                : Matches<AlignedUnionSlots<TRequest, TResponse, BlockSlotAlignment>>() ? SlotLayoutKind.AlignedUnionBlock
                : SlotLayoutKind.Geometry;
        }

        return Matches<ConstantSplitSlots<TRequest, TResponse>>() ? SlotLayoutKind.ConstantSplit
            : Matches<AlignedSplitSlots<TRequest, TResponse, NetworkSlotAlignment>>() ? SlotLayoutKind.AlignedSplitNetwork
            : Matches<AlignedSplitSlots<TRequest, TResponse, BlockSlotAlignment>>() ? SlotLayoutKind.AlignedSplitBlock
            : SlotLayoutKind.Geometry;
    }

    /// <summary>
    /// <c>RING_PUSH_*_AND_CHECK_NOTIFY</c> for either direction: publishes <paramref name="newProducer"/> and returns
    /// whether the peer's event index lies in (old, new], i.e. whether it asked to be woken.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool PublishAndCheckNotify(uint* producer, uint* eventIndex, uint newProducer)
    {
        uint oldProducer = *producer;

        // wmb(); prod = new: the peer sees the slots before the index covering them.
        MemoryOrder.WriteRelease(producer, newProducer);

        // mb(): the peer sees the new producer index before we read its event index, or we could miss its
        // arming in RING_FINAL_CHECK (the Dekker pair).
        MemoryOrder.FullFence();
        return RingIndex.CrossesEvent(oldProducer, newProducer, MemoryOrder.ReadAcquire(eventIndex));
    }

    /// <summary>
    /// The arming half of <c>RING_FINAL_CHECK_FOR_*</c>: asks the peer to notify when its producer passes
    /// <paramref name="value"/> - 1; the caller then re-reads the peer's producer index.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ArmEvent(uint* eventIndex, uint value)
    {
        // event = cons + 1; the peer reads it after publishing its producer index.
        MemoryOrder.WriteRelease(eventIndex, value);

        // mb(): the peer sees our event index before we re-read its producer index (Dekker with its push).
        MemoryOrder.FullFence();
    }

    /// <summary>The classic Xen geometry for a ring of 2^<paramref name="order"/> pages.</summary>
    public static RingGeometry Classic<TRequest, TResponse>(int order)
        where TRequest : unmanaged
        where TResponse : unmanaged =>
        RingGeometry.Classic(SharedRingLayout.LengthForOrder(order), SharedRingLayout.EntrySize<TRequest, TResponse>());

    private bool Matches<TSlots>()
        where TSlots : struct, ISlotLayout =>
        TSlots.RequestStride(in this) == RequestStride && TSlots.ResponseStride(in this) == ResponseStride && TSlots.ResponseSlots(in this) == ResponseSlots;

    private static SharedMemoryFile Checked(SharedMemoryFile memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return memory;
    }
}
