// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Rings;

/// <summary>
/// One union array with aligned slots: the stride is the larger entry's size padded as
/// <see cref="RingVariantLayout.AlignedStride"/> pads it for <typeparamref name="TAlignment"/>, a constant once the JIT
/// specialises a loop for the type arguments.
/// </summary>
internal unsafe struct AlignedUnionSlots<TRequest, TResponse, TAlignment> : ISlotLayout
    where TRequest : unmanaged
    where TResponse : unmanaged
    where TAlignment : struct, ISlotAlignment
{
    /// <summary>The stride of every slot.</summary>
    public static nuint Stride
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => AlignedSplitSlots<TRequest, TResponse, TAlignment>.AlignedStride(Math.Max(Unsafe.SizeOf<TRequest>(), Unsafe.SizeOf<TResponse>()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint RequestStride(in SharedRingView view) => Stride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint ResponseStride(in SharedRingView view) => Stride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* ResponseSlots(in SharedRingView view) => view.RequestSlots;
}
