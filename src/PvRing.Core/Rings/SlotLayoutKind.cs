// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>Which <see cref="ISlotLayout"/> a ring's batch loops run with: every layout but the first has constant strides.</summary>
internal enum SlotLayoutKind
{
    /// <summary>Strides and arrays from the view's fields (<see cref="GeometrySlots"/>): any geometry.</summary>
    Geometry,

    /// <summary>One union array, the union's size as stride (<see cref="ConstantUnionSlots{TRequest, TResponse}"/>): classic, split indexes.</summary>
    ConstantUnion,

    /// <summary>Two arrays, each stepping by its entry's size (<see cref="ConstantSplitSlots{TRequest, TResponse}"/>): split rings.</summary>
    ConstantSplit,

    /// <summary>One union array of aligned network slots (<see cref="AlignedUnionSlots{TRequest, TResponse, TAlignment}"/>).</summary>
    AlignedUnionNetwork,

    /// <summary>One union array of aligned block slots.</summary>
    AlignedUnionBlock,

    /// <summary>Two arrays of aligned network slots (<see cref="AlignedSplitSlots{TRequest, TResponse, TAlignment}"/>).</summary>
    AlignedSplitNetwork,

    /// <summary>Two arrays of aligned block slots.</summary>
    AlignedSplitBlock,
}
