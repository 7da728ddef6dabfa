// Licensed under the MIT License. See LICENSE in the repository root.

using System.Threading.Tasks.Sources;

namespace PvRing.Events;

/// <summary>
/// The reusable completion behind <see cref="EventChannel.WaitAsync(TimeSpan, CancellationToken)"/>: one per
/// channel, so an asynchronous wait allocates nothing.
/// </summary>
/// <remarks>
/// Design: a three-state machine (idle, armed, completed). Whoever moves it from armed to completed with a
/// compare-exchange (the dispatcher, the waiter's own re-check, cancellation, close) is the only one that sets
/// the result; getting the result returns it to idle for the next wait.
/// </remarks>
internal sealed class AsyncWaitSource : IValueTaskSource<EventWaitResult>
{
    private const int Idle = 0;
    private const int Armed = 1;
    private const int Completed = 2;

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

    internal AsyncWaitSource(EventChannel channel)
    {
        _channel = channel;
        _core.RunContinuationsAsynchronously = true;
    }

    /// <summary>The armed wait's deadline as a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</summary>
    internal long Deadline { get; private set; }

    internal bool IsArmed => Volatile.Read(ref _state) == Armed;

    internal short Arm(long deadline, CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Armed, Idle) != Idle)
        {
            throw new InvalidOperationException("An asynchronous wait on this event channel is already in progress; await it before waiting again.");
        }

        _core.Reset();
        Deadline = deadline;
        _token = token;
        return _core.Version;
    }

    internal void Register(CancellationToken token) => _registration = token.UnsafeRegister(s_cancel, this);

    /// <summary>Completes the armed wait with a result, or with <paramref name="error"/> when not null; false if not armed.</summary>
    internal bool TryComplete(EventWaitResult result, Exception? error)
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Armed) != Armed)
        {
            return false;
        }

        _channel.DisarmAsync();
        _registration.Unregister();
        _registration = default;
        _token = default;
        if (error is null)
        {
            _core.SetResult(result);
        }
        else
        {
            _core.SetException(error);
        }

        return true;
    }

    public EventWaitResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            if (token == _core.Version)
            {
                Volatile.Write(ref _state, Idle);
            }
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
