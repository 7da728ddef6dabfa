// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>
/// The alignment of a <see cref="RingSlotKind"/> as a type, so that an aligned slot layout's stride is a constant in a
/// loop specialised for it (<see cref="AlignedUnionSlots{TRequest, TResponse, TAlignment}"/>).
/// </summary>
internal interface ISlotAlignment
{
    /// <summary>The slot alignment in bytes: <see cref="RingVariantLayout.NetworkSlotAlignment"/> or <see cref="RingVariantLayout.BlockSlotAlignment"/>.</summary>
    static abstract int Alignment { get; }
}
