// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>Which <see cref="ISlotLayout"/> a ring's batch loops run with.</summary>
internal enum SlotLayoutKind
{
    /// <summary>Strides and arrays from the view's fields (<see cref="GeometrySlots"/>): any geometry.</summary>
    Geometry,

    /// <summary>One union array with the union's size as stride (<see cref="ConstantUnionSlots{TRequest, TResponse}"/>): classic, split indexes.</summary>
    ConstantUnion,

    /// <summary>One union array with a padded stride from the view (<see cref="UnionSlots"/>): aligned slots.</summary>
    Union,

    /// <summary>Two arrays, each stepping by its entry's size (<see cref="ConstantSplitSlots{TRequest, TResponse}"/>): split rings.</summary>
    ConstantSplit,
}
