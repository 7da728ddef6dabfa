// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Events;

/// <summary>How a wait on an <see cref="EventChannel"/> ended (a dead peer ends it with <see cref="PeerGoneException"/>).</summary>
public enum EventWaitResult
{
    /// <summary>The event was pending and unmasked; the wait consumed it (cleared the pending bit).</summary>
    Signaled,

    /// <summary>The timeout expired with no event.</summary>
    TimedOut,

    /// <summary>The channel was closed, by this side or by the peer; no more events will come.</summary>
    ChannelClosed,
}
