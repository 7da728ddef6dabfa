// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Runtime.CompilerServices;
using PvRing.Platform;

namespace PvRing.Events;

/// <content>The synchronous wait: poll, spin as the strategy says, then announce and sleep on the port's futex; and the checks that end a wait.</content>
public sealed unsafe partial class EventChannel
{
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

    internal void WakeLocalSleepers()
    {
        Interlocked.Increment(ref *_local.PortFutex(_port));
        PlatformServices.Futex.Wake(_local.PortFutex(_port), int.MaxValue);
    }

    private static EventWaitResult ToResult(PollOutcome outcome) =>
        outcome == PollOutcome.Signaled ? EventWaitResult.Signaled : EventWaitResult.ChannelClosed;

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
                FutexWaitResult result;
                try
                {
                    result = PlatformServices.Futex.Wait(futex, sequence, milliseconds);
                }
                catch (PvRingException)
                {
                    // A FUTEX_WAIT on a page whose file is gone fails (EFAULT): say so if that is why.
                    CheckPagesIntact();
                    throw;
                }

                // After each sleep: our page or the peer's as a named file that a peer truncated meanwhile is a clear error
                // here, not a SIGBUS at the next read or notify (an fstat each; sealed pages have nothing to check).
                CheckPagesIntact();
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

    /// <summary>
    /// Throws <see cref="PvRingException"/> when this end's event page or the peer's (named files in ring-file and store
    /// modes) was truncated; looks at both first, so each gets its length back (see <see cref="Memory.TruncationGuard"/>).
    /// </summary>
    private void CheckPagesIntact()
    {
        try
        {
            _local.CheckIntact();
        }
        finally
        {
            Volatile.Read(ref _remote)?.CheckIntact();
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
}
