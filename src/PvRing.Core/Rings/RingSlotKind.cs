// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>
/// Which protocol family a ring's slots belong to; it only matters with <see cref="RingFeatures.AlignedSlots"/>,
/// where it sets the alignment the hackathon proposed: 16 bytes for network slots, 64 bytes for block slots, and
/// 128 bytes for the inline direction of an inline ring (a PvRing extension: the entry, then room for a small payload in
/// the same two lines).
/// </summary>
public enum RingSlotKind
{
    /// <summary>netif-style slots, padded to a multiple of 16 bytes.</summary>
    Network = 0,

    /// <summary>blkif-style slots, padded to a multiple of 64 bytes (one cache line).</summary>
    Block = 1,

    /// <summary>
    /// Network slots whose <b>request</b> slots are padded to 128 bytes (two cache lines, the pair x86's adjacent-line
    /// prefetcher fetches together): the entry at the start and, after it, room the protocol may fill with a small
    /// payload (<c>GetRequestSlotBytes</c>), so the payload travels with its slot instead of in a page of its own.
    /// Response slots stay network slots with split rings; in one union array every slot is 128 bytes.
    /// </summary>
    InlineRequests = 2,

    /// <summary>As <see cref="InlineRequests"/>, for the <b>response</b> slots (<c>GetResponseSlotBytes</c>).</summary>
    InlineResponses = 3,
}
