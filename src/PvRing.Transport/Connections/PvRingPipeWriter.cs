// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Protocols.Netif;

namespace PvRing.Transport;

/// <summary>
/// The output of <see cref="PvRingConnection.Pipe"/> without a copy: <see cref="GetMemory"/> and <see cref="GetSpan"/> hand
/// out the shared page a packet will travel in, and a flush posts the pages written as one-page packets, with one push
/// (and at most one notification) per flush.
/// </summary>
/// <remarks>
/// <para>Design: on the front end a page is the buffer frame of a free transmit id (<see cref="NetFrontQueue"/>, granted as
/// the mode says); on the back end it is a receive buffer the front posted, leased writable through the back's grant
/// mapper (in copy mode a bounce page, copied into the front's page by the grant copy when it is posted). Up to
/// <see cref="MaxClaimed"/> pages are claimed at once; past that the pages written so far are posted before the next is
/// claimed (bytes the application advanced over are committed: they may go out before the flush).</para>
/// <para>Backpressure is the ring itself: no free id (front) or no posted buffer (back) means no page. Then
/// <see cref="WriteAsync"/> and <see cref="FlushAsync"/> wait for one (a spin of the connection's spin count, then the
/// ring's own event channel through a reusable wait), and <see cref="GetMemory"/>, which cannot wait, hands out a pooled staging buffer instead,
/// which the next flush copies into pages as they free up. So is a <c>sizeHint</c> larger than a page. No pause
/// thresholds: what is unsent is bounded by the ring (plus what the application stages while it is full).</para>
/// <para>Contract, as <see cref="Pipe"/>'s writer: one writer at a time; memory from <c>GetMemory</c> is valid until
/// <c>Advance</c>; <see cref="CancelPendingFlush"/> (from any thread) ends the flush waiting now, or the next one, with
/// <see cref="FlushResult.IsCanceled"/> and loses nothing; <see cref="Complete"/> sends what was written (waiting for room
/// in the background, <see cref="Sent"/>), <see cref="CompleteAsync"/> awaits it. The peer's close or death comes out of
/// the write or flush as the library's exception.</para>
/// </remarks>
internal sealed class PvRingPipeWriter : PipeWriter
{
    /// <summary>Pages claimed before the written ones are posted (copy mode's mapper leases at most 18 at once).</summary>
    internal const int MaxClaimed = 16;

    private const int PageSize = XenPage.Size;
    private const int StagingSize = 64 * 1024;

    private static readonly Action<object?> s_cancelFlush = static state => ((PvRingPipeWriter)state!).CancelFlushWait();

    private readonly PvRingConnection _connection;
    private readonly NetFrontQueue? _front;
    private readonly NetBackQueue? _back;
    private readonly RoomOperation _room;
    private readonly int _spinCount;
    private readonly Claim[] _claims = new Claim[MaxClaimed];
    private readonly PageMemory[] _memories = new PageMemory[MaxClaimed];
    private readonly TaskCompletionSource _sent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _claimed;

    // What the last GetMemory/GetSpan handed out: a page (the last claim) or the staging buffer, and how many bytes.
    private bool _givenStaging;
    private int _given;

    // Staging: bytes written while no page was free (or for a large sizeHint); sent by the next flush, in order after the pages.
    private byte[]? _staging;
    private int _staged;
    private int _stagingSent;
    private bool _stagingActive;

    private CancellationTokenSource _flushCancel = new();
    private int _cancelPending;
    private int _flushing;
    private int _completed;
    private Exception? _failure;

    public PvRingPipeWriter(PvRingConnection connection)
    {
        _connection = connection;
        _spinCount = connection.SpinCount;
        _front = connection.FrontQueue;
        _back = connection.BackQueue;
        for (int i = 0; i < MaxClaimed; i++)
        {
            _memories[i] = new PageMemory();
        }

        _room = _front is not null
            ? new RoomOperation(this, _front, NetDirections.Transmit, NetQueueWaiter.ChannelFor(NetDirections.Transmit, _front.TransmitChannel, _front.ReceiveChannel))
            : new RoomOperation(this, _back!, NetDirections.Receive, NetQueueWaiter.ChannelFor(NetDirections.Receive, _back!.TransmitChannel, _back.ReceiveChannel));
    }

    /// <summary>Completes once the writer is completed and everything written was posted (or the send failed).</summary>
    public Task Sent => _sent.Task;

    /// <summary>Pages claimed and not posted yet (tests).</summary>
    internal int PagesClaimed => _claimed;

    /// <summary>Bytes staged and not sent yet (tests).</summary>
    internal int BytesStaged => _staged - _stagingSent;

    /// <inheritdoc/>
    public override bool CanGetUnflushedBytes => true;

    /// <inheritdoc/>
    public override long UnflushedBytes
    {
        get
        {
            long bytes = _staged - _stagingSent;
            for (int i = 0; i < _claimed; i++)
            {
                bytes += _claims[i].Length;
            }

            return bytes;
        }
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override unsafe Memory<byte> GetMemory(int sizeHint = 0)
    {
        int index = Reserve(sizeHint);
        if (index < 0)
        {
            return _staging.AsMemory(_staged);
        }

        ref Claim claim = ref _claims[index];
        return _memories[index].Give(claim.Page, claim.Length, PageSize - claim.Length);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override unsafe Span<byte> GetSpan(int sizeHint = 0)
    {
        int index = Reserve(sizeHint);
        if (index < 0)
        {
            return _staging.AsSpan(_staged);
        }

        ref Claim claim = ref _claims[index];
        return new Span<byte>(claim.Page + claim.Length, PageSize - claim.Length);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Advance(int bytes)
    {
        ThrowIfCompleted();
        if ((uint)bytes > (uint)_given)
        {
            ThrowAdvancePast(bytes, _given);
        }

        _given -= bytes;
        if (_givenStaging)
        {
            _staged += bytes;
        }
        else if (bytes > 0)
        {
            _claims[_claimed - 1].Length += bytes;
        }
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfCompleted();
        ThrowIfFailed();
        if (Interlocked.Exchange(ref _cancelPending, 0) != 0)
        {
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: false));
        }

        _given = 0;
        try
        {
            Post();
        }
        catch (Exception e) when (IsSendFailure(e))
        {
            return ValueTask.FromException<FlushResult>(Failed(e));
        }

        return _stagingActive ? SendStagingAsync(ReadOnlyMemory<byte>.Empty, cancellationToken) : new ValueTask<FlushResult>(default(FlushResult));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        ThrowIfCompleted();
        ThrowIfFailed();
        _given = 0;
        if (_stagingActive)
        {
            // Bytes staged already go first: this write follows them.
            Stage(source.Span);
            return FlushAsync(cancellationToken);
        }

        try
        {
            ReadOnlySpan<byte> rest = source.Span;
            while (!rest.IsEmpty)
            {
                if (!EnsureRoom())
                {
                    return SendStagingAsync(source[^rest.Length..], cancellationToken); // wait for room
                }

                rest = rest[Fill(rest)..];
            }

            return FlushAsync(cancellationToken);
        }
        catch (Exception e) when (IsSendFailure(e))
        {
            return ValueTask.FromException<FlushResult>(Failed(e));
        }
    }

    /// <inheritdoc/>
    public override void CancelPendingFlush()
    {
        // Flag first, then look for a wait: a flush that starts waiting checks the flag after it published _flushing.
        Interlocked.Exchange(ref _cancelPending, 1);
        if (Volatile.Read(ref _flushing) != 0)
        {
            CancelFlushWait();
        }
    }

    /// <inheritdoc/>
    public override void Complete(Exception? exception = null)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            _ = FinishAsync();
        }
    }

    /// <inheritdoc/>
    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            await FinishAsync().ConfigureAwait(false);
        }
    }

    private static bool IsSendFailure(Exception e) => e is PvRingException or ObjectDisposedException;

    [DoesNotReturn]
    private static void ThrowAdvancePast(int bytes, int given) =>
        throw new InvalidOperationException($"Can't advance past buffer size: {bytes} bytes advanced, {given} were handed out.");

    [DoesNotReturn]
    private static void ThrowCompleted() => throw new InvalidOperationException("Writing is not allowed after writer was completed.");

    /// <summary>Copies as much of <paramref name="source"/> as the last claim has room for; returns how many bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe int Fill(ReadOnlySpan<byte> source)
    {
        ref Claim claim = ref _claims[_claimed - 1];
        int chunk = Math.Min(source.Length, PageSize - claim.Length);
        source[..chunk].CopyTo(new Span<byte>(claim.Page + claim.Length, chunk));
        claim.Length += chunk;
        return chunk;
    }

    private void ThrowIfFailed()
    {
        if (_failure is not null)
        {
            ExceptionDispatchInfo.Throw(_failure);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfCompleted()
    {
        if (Volatile.Read(ref _completed) != 0)
        {
            ThrowCompleted();
        }
    }

    /// <summary>
    /// Finds room for <paramref name="sizeHint"/> bytes: the index of the claim to write into (the last one, with that much
    /// room), or -1 for the staging buffer (staging already holds bytes, the hint is larger than a page, or no page is free).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Reserve(int sizeHint)
    {
        ThrowIfCompleted();
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        int wanted = Math.Max(sizeHint, 1);
        if (!_stagingActive && wanted <= PageSize)
        {
            int last = _claimed - 1;
            if (last >= 0 && PageSize - _claims[last].Length >= wanted)
            {
                _givenStaging = false;
                _given = PageSize - _claims[last].Length;
                return last;
            }

            try
            {
                if (_claimed == MaxClaimed)
                {
                    Post();
                }

                if (TryClaim())
                {
                    _givenStaging = false;
                    _given = PageSize;
                    return _claimed - 1;
                }
            }
            catch (Exception e) when (IsSendFailure(e))
            {
                throw Failed(e);
            }
        }

        EnsureStaging(wanted);
        _givenStaging = true;
        _given = _staging!.Length - _staged;
        return -1;
    }

    private void EnsureStaging(int wanted)
    {
        _stagingActive = true;
        if (_staging is null)
        {
            _staging = ArrayPool<byte>.Shared.Rent(Math.Max(StagingSize, wanted));
        }
        else if (_staging.Length - _staged < wanted)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(_staging.Length * 2, _staged + wanted));
            _staging.AsSpan(0, _staged).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_staging);
            _staging = larger;
        }
    }

    private void Stage(ReadOnlySpan<byte> bytes)
    {
        EnsureStaging(bytes.Length);
        bytes.CopyTo(_staging.AsSpan(_staged));
        _staged += bytes.Length;
    }

    /// <summary>Claims one more page (front: a transmit id's frame; back: a posted receive buffer). False: the ring is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe bool TryClaim()
    {
        if (_connection.IsPeerGone)
        {
            throw new PvRingException("The peer closed the connection; the bytes were not sent.");
        }

        ref Claim claim = ref _claims[_claimed];
        if (_front is not null)
        {
            if (!_front.TryClaimTransmit(_claimed, out claim.Id, out claim.Reference, out claim.Page))
            {
                return false;
            }
        }
        else
        {
            if (!_back!.TryClaimReceive(out claim.Lease, out claim.Buffer))
            {
                return false;
            }

            claim.Page = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(claim.Lease.Span));
        }

        claim.Length = 0;
        _claimed++;
        return true;
    }

    /// <summary>
    /// Makes sure the last claimed page has room for the next bytes: posts when the claim table is full, claims a page,
    /// and when the ring is full posts what is written and spins for room as a send does. False: still full, wait.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool EnsureRoom()
    {
        if (_claimed > 0 && _claims[_claimed - 1].Length < PageSize)
        {
            return true;
        }

        if (_claimed == MaxClaimed)
        {
            Post();
        }

        if (TryClaim())
        {
            return true;
        }

        Post();
        return SpinClaim();
    }

    /// <summary>
    /// The spin phase of a wait for room, on the caller's thread (as the connection's sends spin): polls up to the
    /// connection's spin count and claims a page as soon as one frees up. False: still full, await.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool SpinClaim()
    {
        for (int i = 0; i < _spinCount; i++)
        {
            Thread.SpinWait(1);
            if (TryClaim())
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Posts every claim written to as a one-slot packet, with one push; claims not written to stay, first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Post()
    {
        int kept = 0;
        int posted = 0;
        for (int i = 0; i < _claimed; i++)
        {
            ref Claim claim = ref _claims[i];
            if (claim.Length == 0)
            {
                _claims[kept++] = claim;
                continue;
            }

            if (_front is not null)
            {
                _front.PostClaimedTransmit(claim.Id, claim.Reference, claim.Length);
            }
            else
            {
                _back!.PostClaimedReceive(ref claim.Lease, claim.Buffer, claim.Length);
            }

            posted++;
        }

        _claimed = kept;
        if (posted > 0)
        {
            if (_front is not null)
            {
                _front.PushTransmits();
            }
            else
            {
                _back!.PushReceives();
            }
        }
    }

    /// <summary>
    /// The waiting path of a flush or write: copies the staged bytes, then <paramref name="rest"/> (what a write had left),
    /// into pages as they free up, posting as it goes. A cancel (CancelPendingFlush) stages what is left and returns
    /// <see cref="FlushResult.IsCanceled"/>; nothing is lost.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlushResult> SendStagingAsync(ReadOnlyMemory<byte> rest, CancellationToken cancellationToken)
    {
        CancellationTokenRegistration registration = default;
        try
        {
            while (true)
            {
                if (_flushCancel.IsCancellationRequested)
                {
                    _flushCancel = new CancellationTokenSource(); // a cancel used it up (never disposed: CancelPendingFlush may hold it)
                }

                Volatile.Write(ref _flushing, 1);
                Interlocked.MemoryBarrier(); // publish _flushing before looking at the flag (CancelPendingFlush: the reverse)
                if (cancellationToken.CanBeCanceled && registration == default)
                {
                    registration = cancellationToken.UnsafeRegister(s_cancelFlush, this);
                }

                try
                {
                    if (Interlocked.Exchange(ref _cancelPending, 0) != 0)
                    {
                        return Canceled(rest);
                    }

                    await CopyOutAsync(rest, _flushCancel.Token).ConfigureAwait(false);
                    rest = ReadOnlyMemory<byte>.Empty;
                    return default;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    if (Interlocked.Exchange(ref _cancelPending, 0) != 0)
                    {
                        return Canceled(_restLeft);
                    }

                    rest = _restLeft; // a cancel meant for an earlier flush: go on
                }
                catch (OperationCanceledException)
                {
                    Stage(_restLeft.Span);
                    throw;
                }
                finally
                {
                    Volatile.Write(ref _flushing, 0);
                }
            }
        }
        catch (Exception e) when (IsSendFailure(e))
        {
            throw Failed(e);
        }
        finally
        {
            _ = registration.Unregister();
            _restLeft = ReadOnlyMemory<byte>.Empty;
        }
    }

    // What a write still had to copy when its wait was cancelled (CopyOutAsync keeps it up to date).
    private ReadOnlyMemory<byte> _restLeft;

    private FlushResult Canceled(ReadOnlyMemory<byte> rest)
    {
        Stage(rest.Span);
        return new FlushResult(isCanceled: true, isCompleted: false);
    }

    /// <summary>Copies the staged bytes, then <paramref name="rest"/>, into pages, waiting for room; posts them all.</summary>
    private async ValueTask CopyOutAsync(ReadOnlyMemory<byte> rest, CancellationToken cancellationToken)
    {
        _restLeft = rest;
        while (_stagingSent < _staged || !_restLeft.IsEmpty)
        {
            if (!EnsureRoom())
            {
                _ = await _room.WaitAsync(cancellationToken).ConfigureAwait(false); // it claims a page when there is room
            }

            if (_stagingSent < _staged)
            {
                _stagingSent += Fill(_staging.AsSpan(_stagingSent, _staged - _stagingSent));
            }
            else
            {
                _restLeft = _restLeft[Fill(_restLeft.Span)..];
            }
        }

        Post();
        _staged = 0;
        _stagingSent = 0;
        _stagingActive = false;
    }

    /// <summary>Sends what was written (waiting for room), gives back the pages not written to, and completes <see cref="Sent"/>.</summary>
    private async Task FinishAsync()
    {
        try
        {
            if (_failure is null)
            {
                Post();
                if (_stagingActive)
                {
                    await CopyOutAsync(ReadOnlyMemory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (IsSendFailure(e) || e is OperationCanceledException)
        {
            _failure ??= e;
        }
        finally
        {
            ReturnClaims();
            if (_staging is byte[] staging)
            {
                _staging = null;
                ArrayPool<byte>.Shared.Return(staging);
            }

            _sent.TrySetResult();
        }
    }

    /// <summary>Gives back every claim not posted (none written to, or a failure).</summary>
    private void ReturnClaims()
    {
        for (int i = 0; i < _claimed; i++)
        {
            ref Claim claim = ref _claims[i];
            if (_front is not null)
            {
                _front.ReturnClaimedTransmit(claim.Id);
            }
            else
            {
                _back!.ReturnClaimedReceive(ref claim.Lease, claim.Buffer);
            }
        }

        _claimed = 0;
    }

    private Exception Failed(Exception e)
    {
        _failure ??= e;
        return e;
    }

    private void CancelFlushWait()
    {
        try
        {
            _flushCancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Never disposed; kept for safety.
        }
    }

    /// <summary>One page claimed: the front's transmit id and grant, or the back's lease on a posted buffer; the bytes written.</summary>
    private unsafe struct Claim
    {
        public int Id;
        public uint Reference;
        public GrantLease Lease;
        public NetifRxRequest Buffer;
        public byte* Page;
        public int Length;
    }

    /// <summary>A <see cref="MemoryManager{T}"/> over one claimed page, pointed again at each claim.</summary>
    private sealed unsafe class PageMemory : MemoryManager<byte>
    {
        private byte* _page;

        public Memory<byte> Give(byte* page, int start, int length)
        {
            _page = page;
            return CreateMemory(start, length);
        }

        public override Span<byte> GetSpan() => new(_page, PageSize);

        public override MemoryHandle Pin(int elementIndex = 0) => new(_page + elementIndex);

        public override void Unpin()
        {
            // Shared memory does not move.
        }

        protected override void Dispose(bool disposing) => _page = null;
    }

    /// <summary>A wait for room to claim a page (a free id, a posted buffer): it claims the page when it completes.</summary>
    private sealed class RoomOperation(PvRingPipeWriter writer, INetQueueWork queue, NetDirections direction, EventChannel channel)
        : NetWaitOperation<bool>(queue, direction, channel)
    {
        protected override string Kind => "pipe write";

        protected override bool PeerGone => writer._connection.IsPeerGone;

        public ValueTask<bool> WaitAsync(CancellationToken cancellationToken) => new(this, Start(cancellationToken));

        protected override bool TryComplete(out bool result)
        {
            result = writer.TryClaim();
            return result;
        }

        protected override bool OnEnd() => throw new PvRingException("The peer closed the connection; the bytes were not sent.");
    }
}
