// Licensed under the MIT License. See LICENSE in the repository root.

using System.Numerics;
using System.Runtime.CompilerServices;
using PvRing.Memory;

namespace PvRing.Rings;

/// <summary>
/// The classic Xen shared ring (<c>struct &lt;name&gt;_sring</c> from <c>io/ring.h</c>), byte for byte.
/// </summary>
/// <remarks>
/// <code>
///  offset  size  field        written by
///  +------+-----+------------+-----------------------------------------------+
///  |    0 |   4 | req_prod   | front: requests published                      |
///  |    4 |   4 | req_event  | back: wake me when req_prod passes this        |
///  |    8 |   4 | rsp_prod   | back: responses published                      |
///  |   12 |   4 | rsp_event  | front: wake me when rsp_prod passes this       |
///  |   16 |   4 | pvt        | protocol-private union (unused by net/blk)     |
///  |   20 |  44 | __pad      | zero                                           |
///  |   64 | n*e | ring[]     | union { request; response; }, n a power of 2  |
///  +------+-----+------------+-----------------------------------------------+
/// </code>
/// The entry size e is the size of the union: the larger of the two structs, rounded up to the larger
/// alignment. n is <c>__RD32((bytes - 64) / e)</c>: the largest power of two that fits.
/// </remarks>
public static class SharedRingLayout
{
    /// <summary>Offset of <c>req_prod</c>.</summary>
    public const int RequestProducerOffset = 0;

    /// <summary>Offset of <c>req_event</c>.</summary>
    public const int RequestEventOffset = 4;

    /// <summary>Offset of <c>rsp_prod</c>.</summary>
    public const int ResponseProducerOffset = 8;

    /// <summary>Offset of <c>rsp_event</c>.</summary>
    public const int ResponseEventOffset = 12;

    /// <summary>Offset of the 4-byte <c>pvt</c> union.</summary>
    public const int PrivateOffset = 16;

    /// <summary>Offset of <c>__pad[44]</c>.</summary>
    public const int PadOffset = 20;

    /// <summary>Size of the header, and offset of <c>ring[0]</c>: one 64-byte cache line.</summary>
    public const int HeaderSize = 64;

    /// <summary>The largest ring order PvRing accepts (2^16 pages).</summary>
    public const int MaxOrder = XenPage.MaxOrder;

    /// <summary>
    /// The size of one slot: <c>sizeof(union { TRequest; TResponse; })</c> as a C compiler lays it out.
    /// </summary>
    // Inlined so that a loop specialised for the entry types sees a constant (ConstantUnionSlots).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int EntrySize<TRequest, TResponse>()
        where TRequest : unmanaged
        where TResponse : unmanaged
    {
        int size = Math.Max(Unsafe.SizeOf<TRequest>(), Unsafe.SizeOf<TResponse>());
        int alignment = Math.Max(AlignmentOf<TRequest>(), AlignmentOf<TResponse>());
        return (size + alignment - 1) & -alignment;
    }

    /// <summary>
    /// <c>__RING_SIZE</c>: the number of slots of <paramref name="entrySize"/> bytes in a ring of
    /// 2^<paramref name="order"/> pages.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The order is outside 0..<see cref="MaxOrder"/> or the entry size is not positive.</exception>
    public static int SlotCount(int order, int entrySize) => SlotCount(XenPage.BytesForOrder(order), HeaderSize, entrySize);

    /// <summary>
    /// The size of a ring file of 2^order pages; the inverse of <see cref="OrderFromLength"/>.
    /// </summary>
    public static long LengthForOrder(int order) => XenPage.BytesForOrder(order);

    /// <summary>
    /// The page order of a ring of <paramref name="length"/> bytes, which must be 4096 × 2^order for an order
    /// in 0..<see cref="MaxOrder"/>.
    /// </summary>
    /// <exception cref="PvRingException">The length is not a power-of-two number of pages.</exception>
    public static int OrderFromLength(long length)
    {
        if (length < XenPage.Size || length % XenPage.Size != 0 || !BitOperations.IsPow2(length / XenPage.Size))
        {
            throw new PvRingException($"A ring spans 2^order pages of 4096 bytes; length={length} is not such a size.");
        }

        int order = BitOperations.Log2((ulong)(length / XenPage.Size));
        if (order > MaxOrder)
        {
            throw new PvRingException($"Ring order {order} (length={length}) exceeds the maximum order {MaxOrder}.");
        }

        return order;
    }

    internal static int SlotCount(long bytes, int headerSize, int entrySize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(entrySize);
        long fit = (bytes - headerSize) / entrySize;
        if (fit < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(entrySize), entrySize, $"Not one {entrySize}-byte slot fits in a {bytes}-byte ring.");
        }

        // __RD32: round down to a power of two, so that a slot is index & (size - 1).
        return 1 << BitOperations.Log2((uint)Math.Min(fit, 1L << 30));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int AlignmentOf<T>()
        where T : unmanaged => Unsafe.SizeOf<AlignmentProbe<T>>() - Unsafe.SizeOf<T>();

    private struct AlignmentProbe<T>
        where T : unmanaged
    {
#pragma warning disable CS0649 // Only the layout matters: the padding after the byte is T's alignment.
        public byte Head;
        public T Value;
#pragma warning restore CS0649
    }
}
