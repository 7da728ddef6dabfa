// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Events;

/// <summary>Where an <see cref="EventChannel"/> is in its life.</summary>
public enum EventChannelState
{
    /// <summary>Allocated with <see cref="EventDomain.AllocateUnbound"/>; the peer has not bound yet. Notifications are dropped, as in Xen.</summary>
    Unbound,

    /// <summary>Both ends are bound: notifications flow both ways.</summary>
    Bound,

    /// <summary>The peer closed its end; waits return <see cref="EventWaitResult.ChannelClosed"/>.</summary>
    PeerClosed,

    /// <summary>This end was disposed.</summary>
    Closed,
}
