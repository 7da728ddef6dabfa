// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Rings;

/// <summary>
/// A request array and a response array with aligned slots (split rings with aligned slots): each stride is its entry's
/// size padded as <see cref="RingVariantLayout.AlignedStride"/> pads it for <typeparamref name="TAlignment"/>, a
/// constant once the JIT specialises a loop for the type arguments.
/// </summary>
internal unsafe struct AlignedSplitSlots<TRequest, TResponse, TAlignment> : ISlotLayout
    where TRequest : unmanaged
    where TResponse : unmanaged
    where TAlignment : struct, ISlotAlignment
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint RequestStride(in SharedRingView view) => AlignedStride(Unsafe.SizeOf<TRequest>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint ResponseStride(in SharedRingView view) => AlignedStride(Unsafe.SizeOf<TResponse>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* ResponseSlots(in SharedRingView view) => view.ResponseSlots;

    /// <summary>
    /// <see cref="RingVariantLayout.AlignedStride"/> for <typeparamref name="TAlignment"/> in plain arithmetic, which the
    /// JIT folds for a constant <paramref name="entrySize"/>: padded to the alignment, then below a line to a power of
    /// two, above it to a multiple of the line.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static nuint AlignedStride(int entrySize)
    {
        int stride = (entrySize + TAlignment.Alignment - 1) / TAlignment.Alignment * TAlignment.Alignment;
        if (stride >= RingVariantLayout.CacheLineSize)
        {
            return (nuint)((stride + RingVariantLayout.CacheLineSize - 1) / RingVariantLayout.CacheLineSize * RingVariantLayout.CacheLineSize);
        }

        return (nuint)(stride <= 16 ? 16 : stride <= 32 ? 32 : RingVariantLayout.CacheLineSize);
    }
}
