// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;

namespace PvRing.Events;

/// <content>The asynchronous wait, served by the domain's dispatcher thread.</content>
public sealed partial class EventChannel
{
    /// <summary>Waits asynchronously for an event, with no time limit (peer death and close still end it).</summary>
    /// <inheritdoc cref="WaitAsync(TimeSpan, CancellationToken)"/>
    public ValueTask<EventWaitResult> WaitAsync(CancellationToken cancellationToken) =>
        WaitAsync(Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Waits asynchronously for an event, with a time limit and no cancellation.</summary>
    /// <inheritdoc cref="WaitAsync(TimeSpan, CancellationToken)"/>
    public ValueTask<EventWaitResult> WaitAsync(TimeSpan timeout) => WaitAsync(timeout, CancellationToken.None);

    /// <summary>
    /// Waits asynchronously for an event. Completes synchronously when one is pending already; otherwise the
    /// domain's single dispatcher thread completes it. Allocates nothing per wait (the channel reuses one
    /// <see cref="System.Threading.Tasks.Sources.IValueTaskSource{TResult}"/>); await each result before the next wait.
    /// Continuations run on the thread pool, never on the dispatcher.
    /// </summary>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="cancellationToken">Cancels the wait with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="InvalidOperationException">Another asynchronous wait on this channel has not completed.</exception>
    /// <exception cref="PeerGoneException">(From the awaited task.) The peer process is gone.</exception>
    public ValueTask<EventWaitResult> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        PollOutcome outcome = Poll();
        if (outcome != PollOutcome.None)
        {
            return new ValueTask<EventWaitResult>(ToResult(outcome));
        }

        return WaitAsyncSlow(timeout, cancellationToken);
    }

    private ValueTask<EventWaitResult> WaitAsyncSlow(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<EventWaitResult>(cancellationToken);
        }

        if (Volatile.Read(ref _disposed) != 0)
        {
            return new ValueTask<EventWaitResult>(EventWaitResult.ChannelClosed);
        }

        if (_domain.Dispatcher.Failure is PvRingException failure)
        {
            return ValueTask.FromException<EventWaitResult>(failure); // the domain's page was truncated: nobody would complete it
        }

        long deadline = ToDeadline(timeout);
        short version = _async.Arm(deadline, cancellationToken);
        _domain.Dispatcher.EnsureStarted();

        // Announce the async waiter (an interlocked add, a full barrier) before re-checking pending: a sender that
        // set pending after our re-check sees the announcement and raises the upcall for the dispatcher.
        Interlocked.Add(ref _local.Waiters(_port), EventPageLayout.AsyncWaiter);
        if (cancellationToken.CanBeCanceled)
        {
            _async.Register(cancellationToken);
        }

        try
        {
            PollOutcome outcome = Poll();
            if (outcome != PollOutcome.None && !_async.TryCompleteInline(ToResult(outcome), null))
            {
                Repend();
            }
            else if (Volatile.Read(ref _disposed) != 0)
            {
                _async.TryCompleteInline(EventWaitResult.ChannelClosed, null);
            }
        }
        catch (PvRingException e)
        {
            _async.TryCompleteInline(default, e);
        }

        if (deadline != long.MaxValue)
        {
            // The dispatcher may be asleep for a whole peer-check interval; make it take this deadline into account.
            _domain.Dispatcher.Kick();
        }

        return new ValueTask<EventWaitResult>(_async, version);
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
            if (outcome != PollOutcome.None)
            {
                // The waiter will read the ring and may notify: the peer's page, as a named file a peer truncated while
                // we slept, is a clear error here (the dispatcher checked our own page when it woke).
                Volatile.Read(ref _remote)?.CheckIntact();
                if (!_async.TryComplete(ToResult(outcome), null))
                {
                    Repend();
                }
            }
        }
        catch (PvRingException e)
        {
            _async.TryComplete(default, e);
        }
    }

    /// <summary>Ends an armed async wait with <paramref name="error"/> (the dispatcher found this domain's page truncated).</summary>
    internal void FailAsync(PvRingException error)
    {
        if (_async.IsArmed)
        {
            _async.TryComplete(default, error);
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
                Volatile.Read(ref _remote)?.CheckIntact(); // the peer's page is read next: truncated, a clear error
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

    /// <summary>Puts back an event consumed for an async waiter that was completed by something else meanwhile.</summary>
    private void Repend()
    {
        if (!_local.TestAndSetPending(_port))
        {
            _stats.SenderSystemCalls += Deliver(_local, _port);
        }
    }
}
