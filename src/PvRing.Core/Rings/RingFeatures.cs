// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>
/// The 2013 hackathon's ring-layout features, each negotiated by one XenBus boolean (docs/ring-variants.md).
/// No flag is the classic Xen ring; the flags combine freely.
/// </summary>
[Flags]
public enum RingFeatures
{
    /// <summary>The classic <c>sring</c> of <c>io/ring.h</c>, byte for byte.</summary>
    None = 0,

    /// <summary>
    /// Item B, <c>feature-split-indexes</c>: <c>req_prod</c>/<c>req_event</c> and <c>rsp_prod</c>/<c>rsp_event</c>
    /// each in a 128-byte block of their own, so the two producers never write the same cache line.
    /// </summary>
    SplitIndexes = 1,

    /// <summary>
    /// Item C, <c>feature-align-slot</c>: the slot stride is padded (net: 16 bytes, block: 64 bytes, and always to a
    /// divisor or multiple of 64) so that no slot straddles a cache line.
    /// </summary>
    AlignedSlots = 2,

    /// <summary>
    /// Item I, <c>feature-split-rings</c>: a request-only slot array and a response-only slot array on separate
    /// cache lines; the response to request i goes to response slot i.
    /// </summary>
    SplitRings = 4,

    /// <summary>Every feature.</summary>
    All = SplitIndexes | AlignedSlots | SplitRings,
}
