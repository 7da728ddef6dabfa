// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>
/// How a <see cref="RingWaiter"/> wait ended. A dead peer process ends it with
/// <see cref="Events.PeerGoneException"/> instead, and cancellation with <see cref="OperationCanceledException"/>.
/// </summary>
public enum RingWaitResult
{
    /// <summary>The ring has work for the caller (requests for a back, responses for a front): consume it.</summary>
    WorkAvailable,

    /// <summary>The timeout expired and the ring is still empty.</summary>
    TimedOut,

    /// <summary>The event channel was closed (by either side) and the ring is empty: no more work will be announced.</summary>
    ChannelClosed,
}
