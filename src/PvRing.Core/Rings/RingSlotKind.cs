// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>
/// Which protocol family a ring's slots belong to; it only matters with <see cref="RingFeatures.AlignedSlots"/>,
/// where it sets the alignment the hackathon proposed: 16 bytes for network slots, 64 bytes for block slots.
/// </summary>
public enum RingSlotKind
{
    /// <summary>netif-style slots, padded to a multiple of 16 bytes.</summary>
    Network = 0,

    /// <summary>blkif-style slots, padded to a multiple of 64 bytes (one cache line).</summary>
    Block = 1,
}
