// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Rings;

/// <summary>
/// One union array with the view's (padded) stride, as with aligned slots: the loop keeps one base pointer and one
/// stride for requests and responses.
/// </summary>
internal unsafe struct UnionSlots : ISlotLayout
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint RequestStride(in SharedRingView view) => view.RequestStride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint ResponseStride(in SharedRingView view) => view.RequestStride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* ResponseSlots(in SharedRingView view) => view.RequestSlots;
}
