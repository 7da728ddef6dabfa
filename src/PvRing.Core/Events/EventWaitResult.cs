// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Events;

/// <summary>
/// How a wait ended: on an <see cref="EventChannel"/>, or on a ring through <see cref="RingWaiter"/>. A dead peer
/// ends it with <see cref="PeerGoneException"/> instead, and cancellation with <see cref="OperationCanceledException"/>.
/// </summary>
public enum EventWaitResult
{
    /// <summary>
    /// The event was pending and unmasked; the wait consumed it (cleared the pending bit). From a ring wait: the ring has
    /// work for the caller (requests for a back, responses for a front): consume it.
    /// </summary>
    Signaled,

    /// <summary>The timeout expired with no event (and, for a ring wait, the ring still empty).</summary>
    TimedOut,

    /// <summary>The channel was closed, by this side or by the peer (and, for a ring wait, the ring is empty); no more events will come.</summary>
    ChannelClosed,
}
