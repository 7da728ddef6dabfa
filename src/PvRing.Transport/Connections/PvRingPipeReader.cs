// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;

namespace PvRing.Transport;

/// <summary>
/// The input of <see cref="PvRingConnection.Pipe"/> without a copy: the buffer a read returns is a
/// <see cref="ReadOnlySequence{T}"/> over the packets the connection lends (<see cref="PvRingConnection.TryReceivePacket"/>),
/// one segment per packet, and <see cref="AdvanceTo(SequencePosition, SequencePosition)"/> gives back every packet it
/// consumed whole.
/// </summary>
/// <remarks>
/// <para>Design: there is no receive loop and no second buffer. A read takes the packets that wait (while the lend budget
/// lasts), and only when the application has examined everything it holds does it wait, through the connection's own
/// <see cref="PvRingConnection.ReceivePacketAsync"/> (its spin phase, then its event channel), with a cached continuation
/// and this object as the <see cref="IValueTaskSource{TResult}"/>: a read that completes at once allocates nothing
/// (<c>PipeBenchmarks</c>), and one that waits needs no state machine of its own. A one-page
/// packet is the shared page itself, held out of the ring until consumed; so the bytes the application holds bound what
/// the peer can send, as a pipe's pause threshold would. At most the connection's lend budget (half the ring, at most
/// 64) is held in place: a read that needs more while the application holds that many (a message longer than the budget,
/// examined but not consumed) takes the next packets as pooled copies, so it never waits on itself.</para>
/// <para>Contract, as <see cref="Pipe"/>'s reader: one read at a time, each followed by one <c>AdvanceTo</c>; examined up
/// to the end means the next read waits for more; <see cref="CancelPendingRead"/> ends the pending read (or the next one)
/// with <see cref="ReadResult.IsCanceled"/>; <see cref="ReadResult.IsCompleted"/> once the peer closed and every packet it
/// sent is in the buffer; the peer's death, a protocol error or the connection's disposal come out of the read that waits
/// as the library's exception. <see cref="Complete"/> gives back every packet held.</para>
/// <para>Threads: reads, <c>AdvanceTo</c> and <c>Complete</c> come from the application's reading code (one at a time);
/// <see cref="CancelPendingRead"/> from anywhere. The wait's continuation runs on a pool thread while the application
/// awaits, so the two never touch the buffer at once; <c>Complete</c> during a wait hands the cleanup to the continuation
/// through one compare-and-swap.</para>
/// </remarks>
internal sealed class PvRingPipeReader : PipeReader, IValueTaskSource<ReadResult>
{
    // A read takes at most this many packets that wait, so one read's buffer (and the work before it returns) stays bounded.
    private const int MaxPacketsPerRead = NetPacketLimits.MaxHeldPackets;

    private const int Idle = 0;
    private const int Waiting = 1;
    private const int CompletedWhileWaiting = 2;
    private const int Completed = 3;

    private static readonly Action<object?> s_cancelWait = static state => ((PvRingPipeReader)state!).CancelWait();

    private readonly PvRingConnection _connection;
    private readonly Action _onPacket;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ManualResetValueTaskSourceCore<ReadResult> _core;
    private ConfiguredValueTaskAwaitable<PvRingPacket>.ConfiguredValueTaskAwaiter _awaiter;
    private CancellationTokenSource _waitCancel = new();
    private CancellationToken _userToken;
    private CancellationTokenRegistration _userRegistration;
    private int _state;
    private int _cancelPending;

    // The buffer: segments from _head (the first _headOffset bytes consumed) to _tail; positions are absolute.
    private Segment? _head;
    private Segment? _tail;
    private int _headOffset;
    private long _end;
    private long _lastExamined;
    private bool _examinedAll;
    private bool _reading;
    private bool _ended;
    private ExceptionDispatchInfo? _error;
    private Exception? _completion;
    private Segment? _pool;

    public PvRingPipeReader(PvRingConnection connection)
    {
        _connection = connection;
        _onPacket = OnPacket;
        _core.RunContinuationsAsynchronously = false;
    }

    /// <summary>Completes once the reader is completed and no wait is in flight (the connection then releases its rings).</summary>
    public Task Done => _done.Task;

    /// <summary>Packets held now (diagnostics and tests).</summary>
    internal int PacketsHeld { get; private set; }

    private ReadOnlySequence<byte> Buffer
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        get => _head is null ? default : new ReadOnlySequence<byte>(_head, _headOffset, _tail!, _tail!.Memory.Length);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        BeginRead();
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<ReadResult>(cancellationToken);
        }

        return TryReadCore(out ReadResult result) ? new ValueTask<ReadResult>(result) : WaitAsync(cancellationToken);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override bool TryRead(out ReadResult result)
    {
        BeginRead();
        return TryReadCore(out result);
    }

    /// <inheritdoc/>
    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (Volatile.Read(ref _state) >= CompletedWhileWaiting)
        {
            ThrowNoReadingAllowed();
        }

        if (!_reading)
        {
            ThrowInvalidOperation("No reading operation to complete.");
        }

        long start = _head is null ? _end : _head.RunningIndex + _headOffset;
        long consumedAt = Absolute(consumed, start);
        long examinedAt = Absolute(examined, start);
        if (examinedAt < consumedAt)
        {
            ThrowInvalidOperation("The examined position must be greater than or equal to the consumed position.");
        }

        if (consumedAt < start)
        {
            ThrowInvalidOperation("The PipeReader has already advanced past the provided position.");
        }

        if (examinedAt < _lastExamined)
        {
            ThrowInvalidOperation("The examined position cannot be less than the previously examined position.");
        }

        _reading = false;
        _lastExamined = examinedAt;
        _examinedAll = examinedAt == _end;

        // Every packet consumed whole goes back: its slot to the peer (answers published once), or its copy to the pool.
        if (_head is not null && _head.RunningIndex + _head.Memory.Length <= consumedAt)
        {
            _connection.BeginReleaseBatch();
            try
            {
                while (_head is Segment head && head.RunningIndex + head.Memory.Length <= consumedAt)
                {
                    _head = (Segment?)head.Next;
                    Recycle(head);
                }
            }
            finally
            {
                _connection.EndReleaseBatch();
            }
        }

        if (_head is null)
        {
            _tail = null;
            _headOffset = 0;
        }
        else
        {
            _headOffset = (int)(consumedAt - _head.RunningIndex);
        }
    }

    /// <inheritdoc/>
    public override void CancelPendingRead()
    {
        // Flag first, then look for a wait: a read that starts waiting meanwhile checks the flag after it published Waiting.
        Interlocked.Exchange(ref _cancelPending, 1);
        if (Volatile.Read(ref _state) == Waiting)
        {
            CancelWait();
        }
    }

    /// <inheritdoc/>
    public override void Complete(Exception? exception = null)
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (state >= CompletedWhileWaiting)
            {
                return;
            }

            if (state == Waiting)
            {
                if (Interlocked.CompareExchange(ref _state, CompletedWhileWaiting, Waiting) == Waiting)
                {
                    // The wait's continuation gives the packets back (it owns the buffer until it runs).
                    CancelWait();
                    return;
                }
            }
            else if (Interlocked.CompareExchange(ref _state, Completed, Idle) == Idle)
            {
                ReleaseAll();
                _done.TrySetResult();
                return;
            }
        }
    }

    /// <summary>
    /// Completes the reader as the connection is disposed: a read waiting now ends with <see cref="ObjectDisposedException"/>
    /// (the connection's), and every packet held goes back while the rings are still there.
    /// </summary>
    internal void CompleteForDispose(PvRingConnection connection)
    {
        Volatile.Write(ref _completion, new ObjectDisposedException(connection.GetType().FullName, "The connection was disposed while a read of its pipe was waiting."));
        Complete();
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    [DoesNotReturn]
    private static void ThrowInvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    private static void ThrowNoReadingAllowed() => throw new InvalidOperationException("Reading is not allowed after reader was completed.");

    [DoesNotReturn]
    private static void ThrowForeignPosition() =>
        throw new ArgumentOutOfRangeException("consumed", "The position is not in the buffer the last read returned.");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BeginRead()
    {
        if (Volatile.Read(ref _state) != Idle)
        {
            if (Volatile.Read(ref _state) == Waiting)
            {
                ThrowInvalidOperation("Reading is already in progress.");
            }

            ThrowNoReadingAllowed();
        }

        if (_reading)
        {
            ThrowInvalidOperation("Reading is already in progress.");
        }
    }

    /// <summary>An absolute position: the running index of its segment plus its index (a default position is the start).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private long Absolute(SequencePosition position, long start)
    {
        object? owner = position.GetObject();
        if (owner is null)
        {
            return start;
        }

        long at = owner is Segment segment && segment.Owner == this && segment.IsLive && (uint)position.GetInteger() <= (uint)segment.Memory.Length
            ? segment.RunningIndex + position.GetInteger()
            : long.MaxValue;
        if (at > _end)
        {
            ThrowForeignPosition();
        }

        return at;
    }

    /// <summary>The read without waiting: true with a result when there is something to return (or a cancel, or the end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryReadCore(out ReadResult result)
    {
        if (Interlocked.Exchange(ref _cancelPending, 0) != 0)
        {
            result = Result(canceled: true);
            return true;
        }

        bool added = Take();
        if (added || _ended || (!_examinedAll && _head is not null))
        {
            result = Result(canceled: false);
            return true;
        }

        _error?.Throw();
        result = default;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ReadResult Result(bool canceled)
    {
        _reading = true;
        return new ReadResult(Buffer, canceled, _ended);
    }

    /// <summary>
    /// Takes the packets that wait, at most <see cref="MaxPacketsPerRead"/>, lent in place while the budget lasts; past it
    /// only when the application has examined all it holds (then as pooled copies, so a long message cannot stall).
    /// A failure is kept for the read that would wait. True when a packet was added.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Take()
    {
        if (_error is not null || _ended)
        {
            return false;
        }

        bool needMore = _examinedAll || _head is null;
        int taken = 0;
        try
        {
            while (taken < MaxPacketsPerRead)
            {
                if (!_connection.CanLendSlot && (taken > 0 || !needMore))
                {
                    break;
                }

                if (!_connection.TryReceivePacket(out PvRingPacket packet))
                {
                    break;
                }

                Append(packet);
                taken++;
            }
        }
        catch (Exception e) when (e is PvRingException or ObjectDisposedException or InvalidOperationException)
        {
            _error = ExceptionDispatchInfo.Capture(e);
        }

        if (taken > 0)
        {
            _examinedAll = false;
        }

        return taken > 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Append(PvRingPacket packet)
    {
        Segment segment = Rent();
        segment.Set(packet, _end);
        _end += packet.Length;
        if (_tail is null)
        {
            _head = segment;
            _headOffset = 0;
        }
        else
        {
            _tail.SetNext(segment);
        }

        _tail = segment;
        PacketsHeld++;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Segment Rent()
    {
        if (_pool is Segment segment)
        {
            _pool = segment.NextFree;
            segment.NextFree = null;
            return segment;
        }

        return new Segment(this);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Recycle(Segment segment)
    {
        segment.Packet.Dispose();
        segment.Reset();
        segment.NextFree = _pool;
        _pool = segment;
        PacketsHeld--;
    }

    private void ReleaseAll()
    {
        _connection.BeginReleaseBatch();
        try
        {
            while (_head is Segment head)
            {
                _head = (Segment?)head.Next;
                Recycle(head);
            }
        }
        finally
        {
            _connection.EndReleaseBatch();
        }

        _tail = null;
        _headOffset = 0;
    }

    /// <summary>The slow path: nothing to return, so wait for the next packet (spin, then the event channel).</summary>
    private ValueTask<ReadResult> WaitAsync(CancellationToken cancellationToken)
    {
        if (_waitCancel.IsCancellationRequested)
        {
            // A cancel of an earlier wait used it up (never disposed: CancelPendingRead may still hold it).
            _waitCancel = new CancellationTokenSource();
        }

        _userToken = cancellationToken;
        _core.Reset();
        short version = _core.Version;
        Volatile.Write(ref _state, Waiting);
        Interlocked.MemoryBarrier(); // publish Waiting before looking at the cancel flag (CancelPendingRead: the reverse)
        if (cancellationToken.CanBeCanceled)
        {
            _userRegistration = cancellationToken.UnsafeRegister(s_cancelWait, this);
        }

        bool done = Volatile.Read(ref _cancelPending) != 0
            ? Conclude(Result(canceled: true), null, out ReadResult result, out Exception? failure, consumeCancel: true)
            : StartWait(out result, out failure);
        if (!done)
        {
            return new ValueTask<ReadResult>(this, version);
        }

        return failure is null ? new ValueTask<ReadResult>(result) : ValueTask.FromException<ReadResult>(failure);
    }

    /// <summary>Asks the connection for the next packet. True: the read is over (a result or a failure); false: the continuation will end it.</summary>
    private bool StartWait(out ReadResult result, out Exception? failure)
    {
        ValueTask<PvRingPacket> receiving;
        try
        {
            receiving = _connection.ReceivePacketAsync(_waitCancel.Token);
        }
        catch (Exception e)
        {
            receiving = ValueTask.FromException<PvRingPacket>(e);
        }

        _awaiter = receiving.ConfigureAwait(false).GetAwaiter();
        if (!_awaiter.IsCompleted)
        {
            _awaiter.UnsafeOnCompleted(_onPacket);
            result = default;
            failure = null;
            return false;
        }

        return Finish(out result, out failure);
    }

    private void OnPacket()
    {
        if (Finish(out ReadResult result, out Exception? failure))
        {
            if (failure is null)
            {
                _core.SetResult(result);
            }
            else
            {
                _core.SetException(failure);
            }
        }
    }

    /// <summary>A wait ended: the packet (or failure) it brought becomes the read's result, or the exception the read ends with.</summary>
    private bool Finish(out ReadResult result, out Exception? failure)
    {
        PvRingPacket packet = default;
        Exception? error = null;
        try
        {
            packet = _awaiter.GetResult();
        }
        catch (Exception e)
        {
            error = e;
        }

        _awaiter = default;
        if (error is OperationCanceledException && !_userToken.IsCancellationRequested && Volatile.Read(ref _cancelPending) == 0
            && Volatile.Read(ref _state) == Waiting)
        {
            // A cancel meant for an earlier wait reached this one: wait again on a fresh source, then look at the flag
            // again (a CancelPendingRead that came meanwhile cancels the fresh one or is seen here).
            _waitCancel = new CancellationTokenSource();
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _cancelPending) == 0)
            {
                return StartWait(out result, out failure);
            }
        }

        // Still Waiting while the buffer changes: a Complete meanwhile leaves the cleanup to Conclude.
        if (error is null && Volatile.Read(ref _state) == Waiting)
        {
            if (packet.IsEmpty)
            {
                _ended = true;
            }
            else
            {
                Append(packet);
                packet = default;
                _ = Take();
                _examinedAll = false;
            }

            return Conclude(Result(canceled: false), null, out result, out failure, consumeCancel: false);
        }

        if (error is PvRingException and not PvRingProtocolException && Volatile.Read(ref _state) == Waiting && Take())
        {
            // The peer went away (its death seen before the packets it sent last): those come first, the failure with the
            // next read that has to wait.
            _error ??= ExceptionDispatchInfo.Capture(error);
            return Conclude(Result(canceled: false), null, out result, out failure, consumeCancel: false);
        }

        packet.Dispose();
        if (error is OperationCanceledException)
        {
            return _userToken.IsCancellationRequested
                ? Conclude(default, new OperationCanceledException(_userToken), out result, out failure, consumeCancel: false)
                : Conclude(Result(canceled: true), null, out result, out failure, consumeCancel: true);
        }

        if (error is not null && Volatile.Read(ref _state) == Waiting)
        {
            _error = ExceptionDispatchInfo.Capture(error);
        }

        return Conclude(default, error, out result, out failure, consumeCancel: false);
    }

    /// <summary>Leaves the wait (Waiting to Idle) with <paramref name="outcome"/> or <paramref name="error"/>; a reader completed meanwhile gives its packets back and ends the read as a read after completion does.</summary>
    private bool Conclude(ReadResult outcome, Exception? error, out ReadResult result, out Exception? failure, bool consumeCancel)
    {
        _ = _userRegistration.Unregister();
        _userRegistration = default;
        if (Interlocked.CompareExchange(ref _state, Idle, Waiting) != Waiting)
        {
            _reading = false;
            ReleaseAll();
            Volatile.Write(ref _state, Completed);
            _done.TrySetResult();
            result = default;
            failure = Volatile.Read(ref _completion) ?? new InvalidOperationException("Reading is not allowed after reader was completed.");
            return true;
        }

        if (consumeCancel)
        {
            _ = Interlocked.Exchange(ref _cancelPending, 0);
        }

        if (error is not null)
        {
            _reading = false;
        }

        result = outcome;
        failure = error;
        return true;
    }

    private void CancelWait()
    {
        try
        {
            _waitCancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Never disposed; kept for safety.
        }
    }

    /// <summary>One packet of the buffer.</summary>
    private sealed class Segment(PvRingPipeReader owner) : ReadOnlySequenceSegment<byte>
    {
        public PvRingPacket Packet;

        public Segment? NextFree;

        public PvRingPipeReader Owner { get; } = owner;

        public bool IsLive { get; private set; }

        public void Set(PvRingPacket packet, long runningIndex)
        {
            Packet = packet;
            Memory = packet.Memory;
            RunningIndex = runningIndex;
            Next = null;
            IsLive = true;
        }

        public void SetNext(Segment next) => Next = next;

        public void Reset()
        {
            Packet = default;
            Memory = default;
            Next = null;
            IsLive = false;
        }
    }
}
