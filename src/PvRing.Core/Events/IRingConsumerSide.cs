// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Events;

/// <summary>
/// The consuming half of one ring end, as <see cref="RingWaiter"/> sees it. Implemented by structs so the waiter's
/// loop is specialised per ring type and the calls inline.
/// </summary>
internal interface IRingConsumerSide
{
    /// <summary><c>RING_HAS_UNCONSUMED_*</c>: whether work waits now (reads the peer's producer index; arms nothing).</summary>
    bool HasWork();

    /// <summary>Throws a <see cref="PvRingException"/> if the ring's named file was truncated (before reading it after a sleep).</summary>
    void CheckIntact();

    /// <summary><c>RING_FINAL_CHECK_FOR_*</c>: whether work waits; if not, the event index is armed and sleeping is safe.</summary>
    bool FinalCheck();
}
