// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using PvRing.Events;

namespace PvRing.Transport;

/// <summary>
/// The awaited part of a call on one event channel of a queue (a send waiting for ring space, a receive waiting for a
/// packet, a queue's <c>WaitAsync</c>), as a reusable <see cref="IValueTaskSource{TResult}"/> in the manner of
/// <c>SocketAsyncEventArgs</c>: one object per kind of call per channel, reset for every call, so a call that has to wait
/// allocates nothing. The loop tries the call, arms the rings (<c>RING_FINAL_CHECK_*</c>), and awaits the channel with a
/// cached continuation; the channel completes it on a pool thread, where the loop goes on and the caller's continuation
/// runs inline.
/// </summary>
/// <typeparam name="TResult">What the call returns.</typeparam>
internal abstract class NetWaitOperation<TResult> : IValueTaskSource<TResult>
{
    private readonly INetQueueWork _queue;
    private readonly EventChannel _channel;
    private NetDirections _direction;
    private long _deadline = long.MaxValue;
    private readonly Action _onWaited;
    private ManualResetValueTaskSourceCore<TResult> _core;
    private ValueTaskAwaiter<EventWaitResult> _awaiter;
    private CancellationToken _cancellationToken;
    private int _busy;

    protected NetWaitOperation(INetQueueWork queue, NetDirections direction, EventChannel channel)
    {
        _queue = queue;
        _direction = direction;
        _channel = channel;
        _onWaited = OnWaited;
        _core.RunContinuationsAsynchronously = false;
    }

    /// <summary>The rings of the call in progress.</summary>
    protected NetDirections Directions => _direction;

    /// <summary>What this operation is, for the message when two calls overlap.</summary>
    protected abstract string Kind { get; }

    public TResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Starts the call: tries it, and waits as long as it cannot complete.</summary>
    /// <exception cref="InvalidOperationException">A call of this kind is still in progress on the connection.</exception>
    protected short Start(CancellationToken cancellationToken) => Start(_direction, Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Starts the call on <paramref name="directions"/> (rings of this channel), ending with <see cref="OnTimeout"/> after <paramref name="timeout"/>.</summary>
    /// <exception cref="InvalidOperationException">A call of this kind is still in progress on the channel.</exception>
    protected short Start(NetDirections directions, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException($"Another {Kind} is in progress on this channel; await it before starting the next.");
        }

        _core.Reset();
        _direction = directions;
        _deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        _cancellationToken = cancellationToken;
        short version = _core.Version;
        Run();
        return version;
    }

    /// <summary>Tries the call once: true with its result when it completed.</summary>
    protected abstract bool TryComplete(out TResult result);

    /// <summary>The result (or exception) when the channel closed or the peer went away and <see cref="TryComplete"/> found nothing.</summary>
    protected abstract TResult OnEnd();

    /// <summary>Whether the peer closed or went away (the call then ends after one more try).</summary>
    protected abstract bool PeerGone { get; }

    /// <summary>The result when the timeout passed with nothing to do (only for calls started with one).</summary>
    protected virtual TResult OnTimeout() => throw new TimeoutException($"The {Kind} timed out.");

    private void Run()
    {
        try
        {
            while (true)
            {
                if (TryComplete(out TResult result))
                {
                    _core.SetResult(result);
                    return;
                }

                if (PeerGone || _queue.IsDisposed)
                {
                    _core.SetResult(OnEnd());
                    return;
                }

                if (_queue.ArmAndCheck(_direction))
                {
                    continue;
                }

                TimeSpan left = Timeout.InfiniteTimeSpan;
                if (_deadline != long.MaxValue)
                {
                    long ticks = _deadline - Stopwatch.GetTimestamp();
                    if (ticks <= 0)
                    {
                        _core.SetResult(OnTimeout());
                        return;
                    }

                    left = TimeSpan.FromSeconds((double)ticks / Stopwatch.Frequency);
                }

                ValueTask<EventWaitResult> wait = _channel.WaitAsync(left, _cancellationToken);
                if (!wait.IsCompleted)
                {
                    _awaiter = wait.GetAwaiter();
                    _awaiter.UnsafeOnCompleted(_onWaited);
                    return;
                }

                if (!KeepGoing(wait.GetAwaiter().GetResult()))
                {
                    return;
                }
            }
        }
        catch (Exception e)
        {
            _core.SetException(e);
        }
    }

    private void OnWaited()
    {
        try
        {
            EventWaitResult result = _awaiter.GetResult();

            // After the sleep, before the rings are read again: memory a peer truncated meanwhile is a clear error.
            if (!_queue.IsDisposed)
            {
                _queue.CheckIntact();
            }

            if (!KeepGoing(result))
            {
                return;
            }
        }
        catch (Exception e)
        {
            _core.SetException(e);
            return;
        }

        Run();
    }

    /// <summary>After a wake-up: on with the loop, or (the channel closed and no work is left) the end.</summary>
    private bool KeepGoing(EventWaitResult result)
    {
        if (!_queue.IsDisposed && (result == EventWaitResult.Signaled || _queue.HasWork(_direction)))
        {
            return true;
        }

        _core.SetResult(result == EventWaitResult.TimedOut && !_queue.IsDisposed ? OnTimeout() : OnEnd());
        return false;
    }
}
