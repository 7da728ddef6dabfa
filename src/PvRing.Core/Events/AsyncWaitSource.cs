// Licensed under the MIT License. See LICENSE in the repository root.

using System.Threading.Tasks.Sources;

namespace PvRing.Events;

/// <summary>
/// The reusable completion behind <see cref="EventChannel.WaitAsync(TimeSpan, CancellationToken)"/>: one per
/// channel, so an asynchronous wait allocates nothing.
/// </summary>
/// <remarks>
/// Design: a state machine (idle, arming, armed, completed). Whoever moves it from armed to completed with a
/// compare-exchange (the dispatcher, the waiter's own re-check, cancellation, close) is the only one that sets
/// the result; getting the result returns it to idle for the next wait. A completion from another thread (the
/// dispatcher, a cancellation, a close) queues this object itself to the thread pool (an
/// <see cref="IThreadPoolWorkItem"/>, so nothing is allocated), which sets the result there and runs the continuation
/// inline: the awaiter never runs on the dispatcher, and no per-wait closure or work item is made.
/// </remarks>
internal sealed class AsyncWaitSource : IValueTaskSource<EventWaitResult>, IThreadPoolWorkItem
{
    private const int Idle = 0;
    private const int Armed = 1;
    private const int Completed = 2;

    // Between idle and armed while the waiter resets the completion and sets the deadline: the dispatcher, which completes
    // whatever it finds armed, must not see a wait whose completion still holds the last result (completing it again threw
    // on a pool thread and took the process down) or whose deadline is the last one's.
    private const int Arming = 3;

    private static readonly Action<object?, CancellationToken> s_cancel = static (state, token) =>
    {
        var source = (AsyncWaitSource)state!;

        // A registration left over from an earlier wait with another token must not cancel this one.
        if (source._token == token)
        {
            source.TryComplete(default, new OperationCanceledException(token));
        }
    };

    private readonly EventChannel _channel;
    private ManualResetValueTaskSourceCore<EventWaitResult> _core;
    private CancellationToken _token;
    private CancellationTokenRegistration _registration;
    private int _state;
    private EventWaitResult _pendingResult;
    private Exception? _pendingError;

    internal AsyncWaitSource(EventChannel channel)
    {
        _channel = channel;

        // Continuations run where the result is set: on a pool thread (Execute), or inline before the wait was returned.
        _core.RunContinuationsAsynchronously = false;
    }

    /// <summary>The armed wait's deadline as a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</summary>
    internal long Deadline { get; private set; }

    internal bool IsArmed => Volatile.Read(ref _state) == Armed;

    internal short Arm(long deadline, CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Arming, Idle) != Idle)
        {
            throw new InvalidOperationException("An asynchronous wait on this event channel is already in progress; await it before waiting again.");
        }

        _core.Reset();
        Deadline = deadline;
        _token = token;
        short version = _core.Version;
        Volatile.Write(ref _state, Armed); // a release: whoever reads armed sees the reset completion and this deadline
        return version;
    }

    internal void Register(CancellationToken token) => _registration = token.UnsafeRegister(s_cancel, this);

    /// <summary>
    /// Completes the armed wait with a result, or with <paramref name="error"/> when not null, through the thread pool; false
    /// if not armed. For completions from another thread than the waiter's.
    /// </summary>
    internal bool TryComplete(EventWaitResult result, Exception? error) => TryComplete(result, error, inline: false);

    /// <summary>
    /// Completes the armed wait at once, on this thread: only for the waiter's own re-check before the wait's
    /// <see cref="ValueTask{TResult}"/> is returned, when no continuation can be registered yet.
    /// </summary>
    internal bool TryCompleteInline(EventWaitResult result, Exception? error) => TryComplete(result, error, inline: true);

    /// <summary>Sets the result queued by a completion from another thread, on a pool thread; runs the continuation here.</summary>
    void IThreadPoolWorkItem.Execute() => SetResult(_pendingResult, _pendingError);

    private bool TryComplete(EventWaitResult result, Exception? error, bool inline)
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Armed) != Armed)
        {
            return false;
        }

        _channel.DisarmAsync();
        _registration.Unregister();
        _registration = default;
        _token = default;
        if (inline)
        {
            SetResult(result, error);
        }
        else
        {
            _pendingResult = result;
            _pendingError = error;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        return true;
    }

    private void SetResult(EventWaitResult result, Exception? error)
    {
        _pendingError = null;
        if (error is null)
        {
            _core.SetResult(result);
        }
        else
        {
            _core.SetException(error);
        }
    }

    public EventWaitResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            // Idle only once this wait is done: a result asked for too early (a misuse that throws) leaves it armed, so the
            // next Arm cannot reset a completion the dispatcher is about to set.
            if (token == _core.Version && _core.GetStatus(token) != ValueTaskSourceStatus.Pending)
            {
                Volatile.Write(ref _state, Idle);
            }
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
