// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Rings;

/// <summary>
/// One array of <c>union { TRequest; TResponse; }</c> slots (Xen's classic layout): the stride is the union's size, a
/// constant once the JIT specialises a loop for the entry types, and a response lives in its request's slot.
/// </summary>
internal unsafe struct ConstantUnionSlots<TRequest, TResponse> : ISlotLayout
    where TRequest : unmanaged
    where TResponse : unmanaged
{
    /// <summary>The stride: <see cref="SharedRingLayout.EntrySize{TRequest, TResponse}"/>, folded by the JIT.</summary>
    public static nuint Stride
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (nuint)SharedRingLayout.EntrySize<TRequest, TResponse>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint RequestStride(in SharedRingView view) => Stride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint ResponseStride(in SharedRingView view) => Stride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* ResponseSlots(in SharedRingView view) => view.RequestSlots;
}
