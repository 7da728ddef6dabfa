// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using PvRing.Platform;

namespace PvRing.Events;

/// <content>Sending an event and delivering it to the waiters of a port (Xen's <c>EVTCHNOP_send</c> and <c>evtchn_set_pending</c>), and masking.</content>
public sealed unsafe partial class EventChannel
{
    /// <summary>
    /// Sends an event to the peer (Xen's <c>EVTCHNOP_send</c>). Costs an interlocked bit-set; adds a
    /// <c>FUTEX_WAKE</c> only when the peer sleeps. Dropped while the channel is unbound or the peer closed it.
    /// </summary>
    /// <exception cref="ObjectDisposedException">This end was disposed.</exception>
    /// <exception cref="PvRingProtocolException">The peer corrupted the binding.</exception>
    public void Notify()
    {
        // Acquire: the binder wrote its own port entry before its compare-exchange published our binding. The bound
        // binding is 0 until this end has attached to the peer (an allocating end learns it on first use): a binding word
        // the peer zeroed must not pass for it, or the send would go to no page.
        ulong binding = Volatile.Read(ref _local.Binding(_port));
        if (binding != _boundBinding || binding == 0 || Volatile.Read(ref _disposed) != 0)
        {
            NotifySlow(binding);
            return;
        }

        Send(_remote!, _remotePort);
    }

    /// <summary>Masks this end (Xen's mask bit): events still become pending but wake no one.</summary>
    public void Mask()
    {
        ulong bit = 1UL << (_port & 63);
        Interlocked.Or(ref _local.MaskWord(_port >> 6), bit);
    }

    /// <summary>Unmasks this end; an event that became pending while masked is delivered now (wakes the waiter).</summary>
    public void Unmask()
    {
        ulong bit = 1UL << (_port & 63);

        // Full barrier (interlocked): the cleared mask is visible before we read pending. Pairs with the sender's
        // "set pending; read mask": either it sees the mask clear and delivers, or we see its pending bit here.
        Interlocked.And(ref _local.MaskWord(_port >> 6), ~bit);
        if ((Volatile.Read(ref _local.PendingWord(_port >> 6)) & bit) != 0)
        {
            _stats.SenderSystemCalls += Deliver(_local, _port);
        }
    }

    /// <summary>
    /// Makes port <paramref name="port"/> of <paramref name="page"/>, already pending, reach its waiters:
    /// Xen's <c>evtchn_set_pending</c> after the bit is set. Returns the system calls made.
    /// </summary>
    internal static int Deliver(EventPage page, int port)
    {
        // The interlocked bit-set that precedes this call is a full barrier: the pending bit is visible before we
        // read the mask and the waiters word. A masked port stays pending; Unmask delivers it later.
        if (page.IsMasked(port))
        {
            return 0;
        }

        int calls = 0;
        uint waiters = Volatile.Read(ref page.Waiters(port));
        if ((waiters & EventPageLayout.SyncWaiterMask) != 0)
        {
            // The waiter read the futex word before re-checking pending; bumping it makes a FUTEX_WAIT that has
            // not started yet return at once instead of sleeping through this wake.
            Interlocked.Increment(ref *page.PortFutex(port));
            PlatformServices.Futex.Wake(page.PortFutex(port), int.MaxValue);
            calls++;
        }

        if (waiters >= EventPageLayout.AsyncWaiter)
        {
            calls += RaiseUpcall(page, port);
        }

        return calls;
    }

    private static int RaiseUpcall(EventPage page, int port)
    {
        // Xen: set the selector bit and evtchn_upcall_pending, then kick the vCPU. The interlocked exchange is a
        // full barrier: the upcall flag is visible before we read whether the dispatcher sleeps (its Dekker pair
        // is "announce sleeping; fence; re-check upcall").
        Interlocked.Or(ref page.PendingSelector, 1UL << (port >> 6));
        Interlocked.Exchange(ref page.UpcallPending, 1u);
        if (Volatile.Read(ref page.DispatcherSleepers) == 0)
        {
            return 0;
        }

        Interlocked.Increment(ref *page.DispatcherFutex);
        PlatformServices.Futex.Wake(page.DispatcherFutex, 1);
        return 1;
    }

    private void Send(EventPage remote, int remotePort)
    {
        _stats.Sent++;

        // test_and_set_bit, a full barrier: what the caller wrote before Notify (a ring's producer index) is
        // visible to the peer before the pending bit. An already-pending port coalesces: whoever set the bit
        // delivers it, and the peer has not consumed it yet.
        if (remote.TestAndSetPending(remotePort))
        {
            _stats.Coalesced++;
            return;
        }

        _stats.SenderSystemCalls += Deliver(remote, remotePort);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NotifySlow(ulong binding)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        PortBinding validated = Validate(binding);
        if (validated.State != PortState.Interdomain)
        {
            // Xen drops a send on an unbound port; a closed peer has nobody to wake.
            return;
        }

        Attach(validated);
        Send(_remote!, _remotePort);
    }
}
