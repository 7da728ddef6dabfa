// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Rings;

/// <summary>Every stride and array from the view's fields: the layout that fits any geometry.</summary>
internal unsafe struct GeometrySlots : ISlotLayout
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint RequestStride(in SharedRingView view) => view.RequestStride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint ResponseStride(in SharedRingView view) => view.ResponseStride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* ResponseSlots(in SharedRingView view) => view.ResponseSlots;
}
