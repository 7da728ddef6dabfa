// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>
/// Wakes the peer of a ring: what <c>notify_remote_via_irq</c> (an event channel send) is to a Xen driver.
/// A ring calls it only when <c>RING_PUSH_*_AND_CHECK_NOTIFY</c> says the peer asked to be woken.
/// </summary>
public interface IRingNotifier
{
    /// <summary>Signals the peer. Must be cheap when the peer is awake and must never block for long.</summary>
    void Notify();
}
