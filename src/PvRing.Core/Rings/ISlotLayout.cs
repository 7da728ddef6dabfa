// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>
/// How a ring's batch loops find a slot: the two arrays' strides and where the response array starts. A ring picks one
/// implementation per geometry (<see cref="SlotLayoutKind"/>) and runs its batch loops with it as a struct type
/// argument, so the JIT compiles one loop per layout.
/// </summary>
/// <remarks>
/// Design: over the classic ring a loop whose stride is a field multiplies by it for every slot (<c>imul</c>) and holds
/// a base pointer and a stride per array in registers, where gcc's loop over <c>ring.h</c> has one base and a constant
/// <c>sizeof</c> (a <c>lea</c> and a shift). A layout whose stride comes from the type arguments (the entry sizes,
/// which the JIT knows) lets it constant-fold the address; a layout with one union array lets it keep one base for
/// requests and responses. The view's own fields remain the source of truth: a layout is only chosen when its
/// constants equal them (<see cref="SharedRingView.SlotLayout{TRequest, TResponse}"/>).
/// </remarks>
internal unsafe interface ISlotLayout
{
    /// <summary>The distance between two request slots.</summary>
    static abstract nuint RequestStride(in SharedRingView view);

    /// <summary>The distance between two response slots.</summary>
    static abstract nuint ResponseStride(in SharedRingView view);

    /// <summary>Response slot 0.</summary>
    static abstract byte* ResponseSlots(in SharedRingView view);
}
