// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary><see cref="RingSlotKind.Block"/>: aligned slots are padded to 64 bytes.</summary>
internal struct BlockSlotAlignment : ISlotAlignment
{
    public static int Alignment => RingVariantLayout.BlockSlotAlignment;
}
