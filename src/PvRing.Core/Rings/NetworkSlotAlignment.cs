// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary><see cref="RingSlotKind.Network"/>: aligned slots are padded to 16 bytes.</summary>
internal struct NetworkSlotAlignment : ISlotAlignment
{
    public static int Alignment => RingVariantLayout.NetworkSlotAlignment;
}
