// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Rings;

/// <summary>
/// A request array and a response array, each stepping by its own entry's size (split rings without aligned slots):
/// both strides are constants once the JIT specialises a loop for the entry types.
/// </summary>
internal unsafe struct ConstantSplitSlots<TRequest, TResponse> : ISlotLayout
    where TRequest : unmanaged
    where TResponse : unmanaged
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint RequestStride(in SharedRingView view) => (nuint)Unsafe.SizeOf<TRequest>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint ResponseStride(in SharedRingView view) => (nuint)Unsafe.SizeOf<TResponse>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* ResponseSlots(in SharedRingView view) => view.ResponseSlots;
}
