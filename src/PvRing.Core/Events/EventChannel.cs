// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using PvRing.Platform;
using PvRing.Rings;

namespace PvRing.Events;

/// <summary>
/// One end of an interdomain event channel: a port in this domain's event page bound to a port of the peer's.
/// <see cref="Notify"/> sets the peer's pending bit and wakes it only if it sleeps; <see cref="Wait(TimeSpan, CancellationToken)"/>
/// and <see cref="WaitAsync(TimeSpan, CancellationToken)"/> consume this end's pending bit.
/// </summary>
/// <remarks>
/// Design (Xen's 2-level ABI, docs/events.md): a send is <c>test_and_set(pending)</c>; if the bit was already set
/// the event coalesces and nothing else happens. Otherwise, unless the port is masked, the sender reads the port's
/// waiters word and makes a <c>FUTEX_WAKE</c> only when a waiter announced that it sleeps. The waiter announces
/// (interlocked increment), fences, re-checks pending and only then sleeps: with the sender's "set pending;
/// fence; read waiters" this is the Dekker pair of ring.h's final check, so a wake-up cannot be lost and an awake
/// peer costs no system call. Use one waiting thread (or one pending <see cref="WaitAsync(TimeSpan, CancellationToken)"/>)
/// per channel; any number of threads may notify. A ring consumer calls a wait after <c>RING_FINAL_CHECK_*</c>
/// says "no work" and re-checks its ring after every return (events are hints, as in Xen).
/// </remarks>
public sealed unsafe partial class EventChannel : IRingNotifier, IDisposable
{
    private readonly EventDomain _domain;
    private readonly EventPage _local;
    private readonly int _port;
    private readonly int _remoteDomainId;
    private readonly object _attachLock = new();
    private readonly AsyncWaitSource _async;
    private EventPage? _remote;
    private int _remotePort;
    private ulong _boundBinding;
    private int _disposed;
    private ChannelStatistics _stats;

    internal EventChannel(EventDomain domain, EventPage local, int port, int remoteDomainId)
    {
        _domain = domain;
        _local = local;
        _port = port;
        _remoteDomainId = remoteDomainId;
        _async = new AsyncWaitSource(this);
    }

    private enum PollOutcome
    {
        None,
        Signaled,
        Closed,
    }

    /// <summary>This end's port: the number to publish (xenstore's <c>event-channel</c> key) for the peer to bind.</summary>
    public int Port => _port;

    /// <summary>This end's domain id.</summary>
    public int DomainId => _domain.DomainId;

    /// <summary>The peer's domain id.</summary>
    public int RemoteDomainId => _remoteDomainId;

    /// <summary>The peer's port once bound; 0 while <see cref="EventChannelState.Unbound"/>.</summary>
    public int RemotePort => (int)PortBinding.FromValue(Volatile.Read(ref _local.Binding(_port))).RemotePort;

    /// <summary>Where the channel is in its life.</summary>
    public EventChannelState State
    {
        get
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return EventChannelState.Closed;
            }

            return ReadBinding().State switch
            {
                PortState.Unbound => EventChannelState.Unbound,
                PortState.Interdomain => EventChannelState.Bound,
                _ => EventChannelState.PeerClosed,
            };
        }
    }

    /// <summary>Whether an event is pending on this end (masked or not) and not yet consumed by a wait.</summary>
    public bool IsPending => (Volatile.Read(ref _local.PendingWord(_port >> 6)) & (1UL << (_port & 63))) != 0;

    /// <summary>Whether this end is masked: events stay pending and are delivered on <see cref="Unmask"/>.</summary>
    public bool IsMasked => _local.IsMasked(_port);

    /// <summary>The interval between checks that the peer process still lives, in <see cref="Stopwatch"/> ticks.</summary>
    internal long PeerCheckTicks => _domain.PeerCheckTicks;

    /// <summary>A snapshot of this channel's counters.</summary>
    public EventChannelCounters Counters => new(
        Volatile.Read(ref _stats.Sent),
        Volatile.Read(ref _stats.Coalesced),
        Volatile.Read(ref _stats.WakeUps),
        Volatile.Read(ref _stats.Spurious),
        Volatile.Read(ref _stats.SenderSystemCalls) + Volatile.Read(ref _stats.WaiterSystemCalls),
        Volatile.Read(ref _stats.Blocks));

    /// <summary>
    /// Sends an event to the peer (Xen's <c>EVTCHNOP_send</c>). Costs an interlocked bit-set; adds a
    /// <c>FUTEX_WAKE</c> only when the peer sleeps. Dropped while the channel is unbound or the peer closed it.
    /// </summary>
    /// <exception cref="ObjectDisposedException">This end was disposed.</exception>
    /// <exception cref="PvRingProtocolException">The peer corrupted the binding.</exception>
    public void Notify()
    {
        // Acquire: the binder wrote its own port entry before its compare-exchange published our binding.
        ulong binding = Volatile.Read(ref _local.Binding(_port));
        if (binding != _boundBinding || Volatile.Read(ref _disposed) != 0)
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

    /// <summary>Waits for an event with the domain's default <see cref="SpinThenBlockWait"/>.</summary>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> for no limit (peer death still ends it).</param>
    /// <param name="cancellationToken">Cancels the wait with <see cref="OperationCanceledException"/>.</param>
    /// <returns>Whether an event came, the time ran out or the channel closed.</returns>
    /// <exception cref="PeerGoneException">The peer process is gone.</exception>
    /// <exception cref="PvRingProtocolException">The peer corrupted the binding.</exception>
    public EventWaitResult Wait(TimeSpan timeout, CancellationToken cancellationToken) =>
        Wait(new SpinThenBlockWait(_domain.Options.SpinCount, _domain.Options.YieldCount), timeout, cancellationToken);

    /// <summary>Waits for an event with the domain's default <see cref="SpinThenBlockWait"/>, not cancellable.</summary>
    /// <inheritdoc cref="Wait(TimeSpan, CancellationToken)"/>
    public EventWaitResult Wait(TimeSpan timeout) => Wait(timeout, CancellationToken.None);

    /// <summary>Waits for an event, passing the time between polls as <paramref name="strategy"/> says.</summary>
    /// <inheritdoc cref="Wait(TimeSpan, CancellationToken)"/>
    public EventWaitResult Wait<TWait>(TWait strategy, TimeSpan timeout, CancellationToken cancellationToken)
        where TWait : struct, IWaitStrategy
    {
        PollOutcome outcome = Poll();
        if (outcome != PollOutcome.None)
        {
            return ToResult(outcome);
        }

        return WaitSlow(ref strategy, timeout, cancellationToken);
    }

    /// <summary>
    /// Closes this end (Xen's <c>EVTCHNOP_close</c>): the peer's waiter wakes with
    /// <see cref="EventWaitResult.ChannelClosed"/>, and so do this end's own waiters. The port becomes free.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        WakeLocalSleepers();
        _async.TryComplete(EventWaitResult.ChannelClosed, null);
        try
        {
            CloseBinding();
        }
        finally
        {
            _domain.Release(this);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"evtchn dom{DomainId}:{_port} -> dom{_remoteDomainId}:{RemotePort} ({State})";

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

    internal void WakeLocalSleepers()
    {
        Interlocked.Increment(ref *_local.PortFutex(_port));
        PlatformServices.Futex.Wake(_local.PortFutex(_port), int.MaxValue);
    }

    /// <summary>Called by the dispatcher when this port's bit was selected: consumes the event for an armed async wait.</summary>
    internal void DeliverAsync()
    {
        if (!_async.IsArmed)
        {
            return;
        }

        try
        {
            PollOutcome outcome = Poll();
            if (outcome != PollOutcome.None && !_async.TryComplete(ToResult(outcome), null))
            {
                Repend();
            }
        }
        catch (PvRingException e)
        {
            _async.TryComplete(default, e);
        }
    }

    /// <summary>Called by the dispatcher on each round: ends an armed async wait on timeout, close or peer death.</summary>
    /// <returns>The armed wait's deadline (a <see cref="Stopwatch"/> timestamp), or <see cref="long.MaxValue"/>.</returns>
    internal long SweepAsync(long now, bool checkPeer)
    {
        if (!_async.IsArmed)
        {
            return long.MaxValue;
        }

        try
        {
            DeliverAsync();
            if (Volatile.Read(ref _disposed) != 0 || ReadBinding().State == PortState.PeerClosed)
            {
                _async.TryComplete(EventWaitResult.ChannelClosed, null);
            }
            else if (now >= _async.Deadline)
            {
                _async.TryComplete(EventWaitResult.TimedOut, null);
            }
            else if (checkPeer)
            {
                // As CheckEnd does: the allocating end learns the binder's page on first use, and an async waiter
                // that never notified would otherwise have no peer to check (a killed binder went unnoticed).
                PortBinding binding = ReadBinding();
                if (binding.State == PortState.Interdomain)
                {
                    Attach(binding);
                }

                ThrowIfPeerGone();
            }
        }
        catch (PvRingException e)
        {
            _async.TryComplete(default, e);
        }

        return _async.IsArmed ? _async.Deadline : long.MaxValue;
    }

    /// <summary>Removes this end's async waiter from the shared waiters word.</summary>
    internal void DisarmAsync() => Interlocked.Add(ref _local.Waiters(_port), unchecked(0u - EventPageLayout.AsyncWaiter));

    /// <summary>Binds a freshly created channel to the peer page it was bound to (the binder's side).</summary>
    internal void AttachBound(EventPage remote, int remotePort)
    {
        _remote = remote;
        _remotePort = remotePort;
        _boundBinding = new PortBinding(PortState.Interdomain, _remoteDomainId, (uint)remotePort).Value;
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

    private static EventWaitResult ToResult(PollOutcome outcome) =>
        outcome == PollOutcome.Signaled ? EventWaitResult.Signaled : EventWaitResult.ChannelClosed;

    [DoesNotReturn]
    private static void ThrowProtocol(string message) => throw new PvRingProtocolException(message);

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

    /// <summary>Checks pending and, when deliverable, consumes it. Never blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private PollOutcome Poll()
    {
        if (!_local.IsDeliverable(_port) || !_local.TestAndClearPending(_port))
        {
            return PollOutcome.None;
        }

        // The bit-clear was a full barrier, so this binding read is not older than the pending bit we consumed:
        // a peer that closed set PeerClosed before it set pending.
        ulong binding = Volatile.Read(ref _local.Binding(_port));
        return binding == _boundBinding && binding != 0 ? PollOutcome.Signaled : ClassifyConsumed(binding);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private PollOutcome ClassifyConsumed(ulong binding)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return PollOutcome.Closed;
        }

        PortBinding validated = Validate(binding);
        switch (validated.State)
        {
            case PortState.PeerClosed:
                return PollOutcome.Closed;
            case PortState.Interdomain:
                Attach(validated);
                return PollOutcome.Signaled;
            default:
                // Pending on a port nobody bound yet: a spurious event, which Xen drivers must tolerate.
                return PollOutcome.Signaled;
        }
    }

    private EventWaitResult WaitSlow<TWait>(ref TWait strategy, TimeSpan timeout, CancellationToken cancellationToken)
        where TWait : struct, IWaitStrategy
    {
        long deadline = ToDeadline(timeout);
        long peerInterval = _domain.PeerCheckTicks;
        long nextPeerCheck = Stopwatch.GetTimestamp() + peerInterval;
        for (int iteration = 0; ; iteration++)
        {
            PollOutcome outcome = Poll();
            if (outcome != PollOutcome.None)
            {
                return ToResult(outcome);
            }

            if ((iteration & 1023) == 1023 && CheckEnd(deadline, ref nextPeerCheck, cancellationToken) is EventWaitResult end)
            {
                return end;
            }

            if (!strategy.Pause(iteration))
            {
                return Block(deadline, nextPeerCheck, cancellationToken);
            }
        }
    }

    private EventWaitResult Block(long deadline, long nextPeerCheck, CancellationToken cancellationToken)
    {
        CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((EventChannel)state!).WakeLocalSleepers(), this)
            : default;
        try
        {
            ref uint waiters = ref _local.Waiters(_port);
            uint* futex = _local.PortFutex(_port);
            while (true)
            {
                if (CheckEnd(deadline, ref nextPeerCheck, cancellationToken) is EventWaitResult end)
                {
                    return end;
                }

                // Announce the sleeper (an interlocked add), read the futex word, then a full fence before the
                // re-check: a sender that set pending after our re-check is guaranteed to see the announcement
                // and bump the word, so the FUTEX_WAIT below returns at once instead of missing the wake.
                Interlocked.Increment(ref waiters);
                uint sequence = Volatile.Read(ref *futex);
                Interlocked.MemoryBarrier();
                PollOutcome outcome;
                try
                {
                    outcome = Poll();
                }
                catch
                {
                    Interlocked.Decrement(ref waiters);
                    throw;
                }

                if (outcome != PollOutcome.None || Volatile.Read(ref _disposed) != 0)
                {
                    Interlocked.Decrement(ref waiters);
                    return outcome == PollOutcome.None ? EventWaitResult.ChannelClosed : ToResult(outcome);
                }

                long now = Stopwatch.GetTimestamp();
                long wakeAt = Math.Min(deadline, nextPeerCheck);
                int milliseconds = (int)Math.Clamp(((wakeAt - now) * 1000 / Stopwatch.Frequency) + 1, 1, int.MaxValue);
                _stats.Blocks++;
                _stats.WaiterSystemCalls++;
                FutexWaitResult result = PlatformServices.Futex.Wait(futex, sequence, milliseconds);

                // After each sleep: our page as a named file that a peer truncated meanwhile is a clear error here, not a
                // SIGBUS at the next read (an fstat; sealed pages have nothing to check).
                _local.CheckIntact();
                Interlocked.Decrement(ref waiters);
                if (result != FutexWaitResult.TimedOut)
                {
                    _stats.WakeUps++;
                    if (!_local.IsDeliverable(_port) && Volatile.Read(ref _disposed) == 0 && ReadBinding().State != PortState.PeerClosed)
                    {
                        _stats.Spurious++;
                    }
                }
            }
        }
        finally
        {
            registration.Dispose();
        }
    }

    /// <summary>The slow conditions that end a wait: close, cancellation, timeout, a dead peer.</summary>
    /// <remarks>Also used by <see cref="RingWaiter"/> while it polls a ring before arming this channel.</remarks>
    internal EventWaitResult? CheckEnd(long deadline, ref long nextPeerCheck, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return EventWaitResult.ChannelClosed;
        }

        PortBinding binding = ReadBinding();
        if (binding.State == PortState.PeerClosed)
        {
            return EventWaitResult.ChannelClosed;
        }

        cancellationToken.ThrowIfCancellationRequested();
        long now = Stopwatch.GetTimestamp();
        if (now >= deadline)
        {
            return EventWaitResult.TimedOut;
        }

        if (now >= nextPeerCheck)
        {
            if (binding.State == PortState.Interdomain)
            {
                Attach(binding);
            }

            ThrowIfPeerGone();
            nextPeerCheck = now + _domain.PeerCheckTicks;
        }

        return null;
    }

    /// <summary>
    /// Throws <see cref="PeerGoneException"/> when the process at the other end has died (its recorded pid and start time
    /// no longer run), whether or not a wait noticed. Unlike the waits' check, a peer that closed its event domain in order
    /// and still runs is not gone by this test: it tells a crash from a close.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The channel was closed.</exception>
    public void ThrowIfPeerProcessDied()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        EventPage? remote = Volatile.Read(ref _remote);
        if (remote is null)
        {
            // The allocating end learns the binder's page on first use, as the dispatcher's sweep does.
            PortBinding binding = ReadBinding();
            if (binding.State == PortState.Interdomain)
            {
                Attach(binding);
            }

            remote = Volatile.Read(ref _remote);
        }

        if (remote is not null && !PlatformServices.Liveness.IsAlive(remote.Owner))
        {
            throw new PeerGoneException(_remoteDomainId, remote.Owner.ProcessId);
        }
    }

    private void ThrowIfPeerGone()
    {
        EventPage? remote = Volatile.Read(ref _remote);
        if (remote is not null && (!remote.IsLive || !PlatformServices.Liveness.IsAlive(remote.Owner)))
        {
            throw new PeerGoneException(_remoteDomainId, remote.Owner.ProcessId);
        }
    }

    internal long ToDeadline(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return long.MaxValue;
        }

        if (timeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be non-negative or Timeout.InfiniteTimeSpan.");
        }

        double ticks = timeout.TotalSeconds * Stopwatch.Frequency;
        long now = Stopwatch.GetTimestamp();
        return ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
    }

    private PortBinding ReadBinding() => Validate(Volatile.Read(ref _local.Binding(_port)));

    /// <summary>Checks a binding word of our own port, which the peer writes when it binds or closes.</summary>
    private PortBinding Validate(ulong value)
    {
        if (!PortBinding.IsWellFormed(value))
        {
            ThrowProtocol($"Malformed binding of port {_port} in domain {DomainId}: raw=0x{value:X16}.");
        }

        PortBinding binding = PortBinding.FromValue(value);
        if (binding.State == PortState.Free)
        {
            ThrowProtocol($"Port {_port} of domain {DomainId} was freed under an open channel: remoteDomid={_remoteDomainId}.");
        }

        if (binding.RemoteDomainId != _remoteDomainId)
        {
            ThrowProtocol($"Port {_port} of domain {DomainId} names the wrong peer: remoteDomid={binding.RemoteDomainId}, expected={_remoteDomainId}.");
        }

        int knownPort = Volatile.Read(ref _remotePort);
        if (knownPort != 0 && binding.State != PortState.Unbound && binding.RemotePort != knownPort)
        {
            ThrowProtocol($"Port {_port} of domain {DomainId} was rebound: remotePort={binding.RemotePort}, expected={knownPort}.");
        }

        return binding;
    }

    /// <summary>Maps the peer's page and checks that its port points back at us (the allocator's side, on first use).</summary>
    private void Attach(PortBinding binding)
    {
        if (Volatile.Read(ref _boundBinding) == binding.Value)
        {
            return;
        }

        lock (_attachLock)
        {
            if (_boundBinding == binding.Value)
            {
                return;
            }

            EventPage remote = _domain.GetPeerPage(_remoteDomainId);
            int remotePort = (int)binding.RemotePort;
            ulong back = Volatile.Read(ref remote.Binding(remotePort));
            var expected = new PortBinding(PortState.Interdomain, DomainId, (uint)_port);
            if (back != expected.Value && PortBinding.FromValue(back) != expected with { State = PortState.PeerClosed })
            {
                ThrowProtocol($"Port {remotePort} of domain {_remoteDomainId} does not point back to port {_port} of domain {DomainId}: {PortBinding.FromValue(back)}.");
            }

            _remote = remote;
            _remotePort = remotePort;

            // Release: the remote page and port are visible before the binding that lets Notify use them.
            Volatile.Write(ref _boundBinding, binding.Value);
        }
    }

    /// <summary>Puts back an event consumed for an async waiter that was completed by something else meanwhile.</summary>
    private void Repend()
    {
        if (!_local.TestAndSetPending(_port))
        {
            _stats.SenderSystemCalls += Deliver(_local, _port);
        }
    }

    private void CloseBinding()
    {
        ref ulong own = ref _local.Binding(_port);
        ulong value = Volatile.Read(ref own);
        var unbound = new PortBinding(PortState.Unbound, _remoteDomainId, 0);
        if (value == unbound.Value && Interlocked.CompareExchange(ref own, 0, value) == value)
        {
            ClearPort();
            return;
        }

        // Either bound or the peer bound it just now; tell the peer unless the binding is garbage.
        value = Volatile.Read(ref own);
        PortBinding binding = PortBinding.IsWellFormed(value) ? PortBinding.FromValue(value) : default;
        if (binding.State == PortState.Interdomain && binding.RemoteDomainId == _remoteDomainId)
        {
            try
            {
                EventPage remote = _remote ?? _domain.GetPeerPage(_remoteDomainId);
                int remotePort = (int)binding.RemotePort;
                ulong bound = new PortBinding(PortState.Interdomain, DomainId, (uint)_port).Value;
                ulong closed = new PortBinding(PortState.PeerClosed, DomainId, (uint)_port).Value;

                // The PeerClosed state is written (compare-exchange, full barrier) before the pending bit that wakes
                // the peer, so a peer that consumes the event reads PeerClosed.
                if (Interlocked.CompareExchange(ref remote.Binding(remotePort), closed, bound) == bound && !remote.TestAndSetPending(remotePort))
                {
                    _stats.SenderSystemCalls += Deliver(remote, remotePort);
                }
            }
            catch (Exception e) when (e is PvRingException or IOException)
            {
                // The peer's page is gone or invalid: there is nobody to tell.
            }
        }

        ClearPort();
    }

    private void ClearPort()
    {
        ulong bit = 1UL << (_port & 63);
        Interlocked.And(ref _local.PendingWord(_port >> 6), ~bit);
        Interlocked.And(ref _local.MaskWord(_port >> 6), ~bit);

        // Release: pending and mask are clear before the free binding lets the port be allocated again.
        Volatile.Write(ref _local.Binding(_port), 0UL);
    }
}
