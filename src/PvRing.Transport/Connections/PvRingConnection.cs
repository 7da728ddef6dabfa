// Licensed under the MIT License. See LICENSE in the repository root.

using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using PvRing.Bus;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Store;

namespace PvRing.Transport;

/// <summary>
/// One end of a PvRing connection: packets of 1 to <see cref="NetPacketLimits.MaxPacketSize"/> bytes each way, in order,
/// boundaries kept, over a negotiated netif device. A front end connects by name (<see cref="ConnectAsync"/>); a back end
/// comes from <see cref="PvRingListener.AcceptAsync"/>. The store, domains, grants and event channels are inside.
/// </summary>
/// <remarks>
/// One sender and one receiver at a time (they may be two threads): like a pipe's writer and reader, the calls of one
/// direction must not overlap. Send waits for ring space (back-pressure, nothing is dropped); receive returns 0 once the
/// peer closed and every packet it sent was taken. A peer that dies ends waiting calls with <see cref="PeerGoneException"/>
/// (within about a second, when the store notices), and a malformed packet with <see cref="PvRingProtocolException"/>.
/// </remarks>
public sealed class PvRingConnection : IAsyncDisposable
{
    private readonly NetFrontend? _front;
    private readonly NetBackend? _back;
    private readonly NetFrontQueue? _frontQueue;
    private readonly NetBackQueue? _backQueue;
    private readonly Func<ValueTask> _release;
    private readonly CancellationTokenSource _peerGone = new();
    private readonly PvRingPacketLeases _leases;
    private readonly SendOperation _send;
    private readonly ReceiveOperation _receive;
    private readonly ReceivePacketOperation _receivePacket;
    private PvRingDuplexPipe? _pipe;
    private int _disposed;
    private bool _batchingReleases;

    private readonly ILogger _logger;
    private readonly int _spinCount;

    private PvRingConnection(NetFrontend front, Func<ValueTask> release, ILogger? logger, int spinCount)
        : this(front, null, front.Queue.ReceiveRing.Size, front.Features, front.BackendGone, release, logger, spinCount)
    {
    }

    private PvRingConnection(NetBackend back, Func<ValueTask> release, ILogger? logger, int spinCount)
        : this(null, back, back.Queue.TransmitRing.Size, back.Features, back.FrontendGone, release, logger, spinCount)
    {
    }

    // One end of either kind: exactly one of front and back; receiveRingSize is the ring its packets arrive on.
    private PvRingConnection(
        NetFrontend? front, NetBackend? back, int receiveRingSize, NetDeviceFeatures features, Task peerGone, Func<ValueTask> release, ILogger? logger, int spinCount)
    {
        _spinCount = spinCount;
        _front = front;
        _back = back;
        _frontQueue = front?.Queue;
        _backQueue = back?.Queue;
        _leases = new PvRingPacketLeases(ReleaseSlot, receiveRingSize);
        (_send, _receive, _receivePacket) = CreateOperations();
        _release = release;
        _logger = logger ?? NullLogger.Instance;
        Features = features;
        _ = CancelWhenDone(peerGone);
    }

    /// <summary>What both ends agreed.</summary>
    public NetDeviceFeatures Features { get; }

    /// <summary>Whether this is the end that connected (the front end) rather than the one a listener accepted.</summary>
    public bool IsFrontEnd => _front is not null;

    /// <summary>How many one-page packets <see cref="ReceivePacketAsync"/> lends in place at once (half the receiving ring, at most 64).</summary>
    internal int SlotLendBudget => _leases.SlotBudget;

    /// <summary>How many polls a wait spins before it awaits the event channel (<see cref="PvRingConnectionOptions.SpinCount"/>).</summary>
    internal int SpinCount => _spinCount;

    /// <summary>The front end's queue (null on a back end): the pipe's writer claims its transmit frames.</summary>
    internal NetFrontQueue? FrontQueue => _frontQueue;

    /// <summary>The back end's queue (null on a front end): the pipe's writer claims the receive buffers the front posted.</summary>
    internal NetBackQueue? BackQueue => _backQueue;

    /// <summary>
    /// Starts giving back several lent packets at once (the pipe's reader, in <c>AdvanceTo</c>): the back end's answers are
    /// published once, by <see cref="EndReleaseBatch"/>, rather than one push (a full fence and a shared index) per packet.
    /// </summary>
    internal void BeginReleaseBatch() => _batchingReleases = true;

    /// <summary>Ends <see cref="BeginReleaseBatch"/>: publishes the answers produced meanwhile.</summary>
    internal void EndReleaseBatch()
    {
        _batchingReleases = false;
        if (_backQueue is not null && Volatile.Read(ref _disposed) == 0)
        {
            _backQueue.PushTransmitResponses();
        }
    }

    /// <summary>Whether the next one-page packet would be lent in place (the lend budget is not spent).</summary>
    internal bool CanLendSlot => _leases.CanLendSlot;

    /// <summary>Whether the peer has closed the connection or gone away.</summary>
    public bool IsPeerGone => _peerGone.IsCancellationRequested;

    /// <summary>
    /// Connects to the listener of <paramref name="name"/>, retrying while it is not there yet, for at most
    /// <see cref="PvRingConnectionOptions.ConnectTimeout"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a valid file name.</exception>
    /// <exception cref="TimeoutException">No listener answered in time.</exception>
    /// <exception cref="XenBusNegotiationException">The listener refused or did not finish the negotiation.</exception>
    public static async Task<PvRingConnection> ConnectAsync(string name, PvRingConnectionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        options ??= new PvRingConnectionOptions();
        options.Validate();
        HostDirectory directory = PvRingRendezvous.DirectoryOf(options.Host ?? HostDirectory.OpenDefault(), name);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(options.ConnectTimeout);
        int domain;
        string socket = PvRingRendezvous.SocketOf(directory);
        try
        {
            (socket, domain) = await ClaimDomainAsync(directory, bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No PvRing listener named '{name}' answered at {socket} within {options.ConnectTimeout.TotalSeconds:0.#} s.");
        }

        NetDeviceFeatures wants = options.Wants with { SplitEventChannels = true };
        var owned = new Stack<IAsyncDisposable>();
        try
        {
            XenStoreClient store = Own(owned, await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket, DomainId = domain }, cancellationToken).ConfigureAwait(false));
            GrantDomain grants = OwnDisposable(owned, GrantDomain.Create(directory, (ushort)domain, NetFrontend.DomainOptionsFor(wants)));
            EventDomain events = OwnDisposable(owned, EventDomain.Create(directory, (ushort)domain));
            var frontOptions = new NetFrontendOptions { Wants = wants, Bus = new XenBusOptions { Timeout = options.ConnectTimeout } };
            NetFrontend front = Own(owned, await NetFrontend.ConnectAsync(store, PvRingRendezvous.DeviceOf(domain), grants, events, frontOptions, cancellationToken).ConfigureAwait(false));
            if (options.Logger is ILogger logger)
            {
                PvRingLog.Connected(logger, name, domain, front.Features);
            }

            return new PvRingConnection(front, () => DisposeAllAsync(owned), options.Logger, options.SpinCount);
        }
        catch
        {
            await DisposeAllAsync(owned).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Sends one packet if the ring has room now: true when it is on its way, false (nothing sent) when the ring is full.
    /// </summary>
    /// <exception cref="ArgumentException">The packet is empty or larger than the negotiated features allow.</exception>
    /// <exception cref="PvRingException">The peer closed the connection or went away; the packet was not sent.</exception>
    /// <exception cref="ObjectDisposedException">The connection was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TrySend(ReadOnlySpan<byte> packet)
    {
        if (IsPeerGone)
        {
            ThrowPeerGone();
        }

        return _frontQueue is not null ? _frontQueue.TrySend(packet) : _backQueue!.TrySend(packet);
    }

    /// <summary>Sends one packet, waiting for ring space as long as it takes (back-pressure: nothing is dropped).</summary>
    /// <exception cref="ArgumentException">The packet is empty or larger than the negotiated features allow.</exception>
    /// <exception cref="PvRingException">The peer closed the connection (a <see cref="PeerGoneException"/> if its process died); the packet was not sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the packet was not sent.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ValueTask SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default) =>
        TrySend(packet.Span) || SpinSend(packet.Span) ? ValueTask.CompletedTask : _send.StartAsync(packet, cancellationToken);

    /// <summary>
    /// Takes the next packet into <paramref name="buffer"/> if one waits. True: <paramref name="length"/> bytes are there.
    /// False with <paramref name="length"/> 0: nothing waits. False with a larger <paramref name="length"/>: the next packet
    /// needs that many bytes; it stays for a call with a large enough buffer.
    /// </summary>
    /// <exception cref="PvRingProtocolException">The peer sent a malformed packet; the connection is broken.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryReceive(Span<byte> buffer, out int length)
    {
        try
        {
            return _frontQueue is not null ? _frontQueue.TryReceive(buffer, out length) : _backQueue!.TryReceive(buffer, out length);
        }
        catch (PvRingProtocolException e)
        {
            Fail(e);
            throw;
        }
    }

    /// <summary>
    /// Receives the next packet into <paramref name="buffer"/>, waiting for one; returns its length, or 0 once the peer has
    /// closed and every packet it sent has been taken.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The next packet is larger than <paramref name="buffer"/> (the message says how large); it stays for the next call.
    /// </exception>
    /// <exception cref="PeerGoneException">The peer's process died.</exception>
    /// <exception cref="PvRingProtocolException">The peer sent a malformed packet; the connection is broken.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; nothing was taken.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (TryReceive(buffer.Span, out int length) || (length == 0 && SpinReceive(buffer.Span, out length)))
        {
            return new ValueTask<int>(length);
        }

        return length > buffer.Length ? ValueTask.FromException<int>(TooSmall(length, buffer.Length)) : _receive.StartAsync(buffer, cancellationToken);
    }

    /// <summary>
    /// Takes the next packet if one waits, lent without a copy where it fits in one page (see <see cref="PvRingPacket"/>);
    /// dispose it when done. False: nothing waits.
    /// </summary>
    /// <exception cref="PvRingProtocolException">The peer sent a malformed packet; the connection is broken.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryReceivePacket(out PvRingPacket packet)
    {
        try
        {
            int length = 0;
            if (_leases.CanLendSlot)
            {
                if (_frontQueue is not null)
                {
                    if (_frontQueue.TryTake(out PacketSegment segment, out int id, out length))
                    {
                        GrantLease none = default;
                        packet = _leases.LendSlot(segment, id, ref none, 0);
                        return true;
                    }
                }
                else if (_backQueue!.TryTake(out PacketSegment segment, out GrantLease lease, out ushort id, out length))
                {
                    packet = _leases.LendSlot(segment, -1, ref lease, id);
                    return true;
                }
            }
            else
            {
                // Too many lent already: the next packet (if any) is copied; an empty buffer asks for its length.
                _ = TryReceive([], out length);
            }

            if (length == 0)
            {
                packet = default;
                return false;
            }

            // Several slots (or the zero-copy budget spent): gather it into a pooled buffer.
            byte[] array = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
            if (!TryReceive(array, out int received))
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(array);
                throw new InvalidOperationException("The packet that was waiting could not be taken."); // a concurrent receive: a misuse
            }

            packet = _leases.LendArray(array, received);
            return true;
        }
        catch (PvRingProtocolException e)
        {
            Fail(e);
            throw;
        }
    }

    /// <summary>
    /// Receives the next packet, waiting for one, lent without a copy where it fits in one page (see
    /// <see cref="PvRingPacket"/>, and its rules: dispose it, from the receiving code, before the next receive if you like,
    /// and before the connection). An empty packet (<see cref="PvRingPacket.IsEmpty"/>) means the peer closed and every
    /// packet it sent was taken.
    /// </summary>
    /// <exception cref="PeerGoneException">The peer's process died.</exception>
    /// <exception cref="PvRingProtocolException">The peer sent a malformed packet; the connection is broken.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; nothing was taken.</exception>
    public ValueTask<PvRingPacket> ReceivePacketAsync(CancellationToken cancellationToken = default) =>
        TryReceivePacket(out PvRingPacket packet) || SpinReceivePacket(out packet) ? new ValueTask<PvRingPacket>(packet) : _receivePacket.StartAsync(cancellationToken);

    /// <summary>
    /// The connection as a byte stream (<see cref="System.IO.Pipelines"/>), without a copy of its own: the memory
    /// <see cref="IDuplexPipe.Output"/> hands out is the shared page a packet will travel in (one-page packets, posted by
    /// each flush), and the buffers <see cref="IDuplexPipe.Input"/> returns are the lent pages the packets arrived in (given
    /// back by <c>AdvanceTo</c>); the input completes when the peer closes. Created on first use; from then on the pipe is
    /// the connection's one sender and one receiver, so do not call the packet methods as well. Complete
    /// <see cref="IDuplexPipe.Output"/> when done writing; disposing the connection waits for what was written to be sent,
    /// then completes the input (finish with its buffers first).
    /// </summary>
    public IDuplexPipe Pipe
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (Volatile.Read(ref _pipe) is PvRingDuplexPipe pipe)
            {
                return pipe;
            }

            var created = new PvRingDuplexPipe(this);
            return Interlocked.CompareExchange(ref _pipe, created, null) ?? created;
        }
    }

    /// <summary>
    /// Closes the connection in order (the peer's receive ends after the packets already sent; with <see cref="Pipe"/>, after
    /// everything written to its output), then releases every mapping, grant, channel and file of this end.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_pipe is PvRingDuplexPipe pipe)
        {
            // The application's writes go out first; a peer that is gone ends the send loop with its error.
            await pipe.Output.CompleteAsync().ConfigureAwait(false);
            await pipe.Sending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_pipe is PvRingDuplexPipe reading)
        {
            // The packets the input holds go back while the rings are mapped; a read waiting ends when our channels close.
            reading.CompleteInputForDispose();
        }

        await _release().ConfigureAwait(false);
        if (_pipe is PvRingDuplexPipe stopped)
        {
            await stopped.Receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _peerGone.Dispose();
    }

    /// <summary>Wraps an accepted back end; <paramref name="release"/> disposes it and cleans the device up.</summary>
    internal static PvRingConnection ForBackEnd(NetBackend back, Func<ValueTask> release, ILogger? logger, int spinCount) => new(back, release, logger, spinCount);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowPeerGone() => throw new PvRingException("The peer closed the connection; the packet was not sent.");

    private static ArgumentException TooSmall(int needed, int length) =>
        new($"The next packet has {needed} bytes; the buffer holds {length}. The packet stays for a call with a larger buffer.", "buffer");

    /// <summary>Claims a domain from the listener of <paramref name="directory"/>; returns the store's socket with it.</summary>
    private static async Task<(string Socket, int Domain)> ClaimDomainAsync(HostDirectory directory, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Looked up on every try: the listener may start, or switch to an external store, meanwhile.
            string socket = PvRingRendezvous.SocketOf(directory);
            try
            {
                await using XenStoreClient toolstack = await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket }, cancellationToken).ConfigureAwait(false);
                if (await toolstack.TryReadAsync(PvRingRendezvous.NextDomain, cancellationToken).ConfigureAwait(false) is not null)
                {
                    int domain = await PvRingRendezvous.ClaimAsync(toolstack, cancellationToken).ConfigureAwait(false);
                    string ready = $"{PvRingRendezvous.Ready}/{PvRingRendezvous.Number(domain)}";
                    await foreach (XenStoreWatchEvent _ in toolstack.WatchAsync(ready, cancellationToken).ConfigureAwait(false))
                    {
                        if (await toolstack.ExistsAsync(ready, cancellationToken).ConfigureAwait(false))
                        {
                            return (socket, domain);
                        }
                    }
                }
            }
            catch (Exception e) when (e is SocketException or IOException or (PvRingException and not PvRingProtocolException))
            {
                // No listener yet (no socket, or one left by a listener that is gone): try again shortly.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }
    }

    private static T Own<T>(Stack<IAsyncDisposable> owned, T item)
        where T : IAsyncDisposable
    {
        owned.Push(item);
        return item;
    }

    private static T OwnDisposable<T>(Stack<IAsyncDisposable> owned, T item)
        where T : IDisposable
    {
        owned.Push(new SyncDisposer(item));
        return item;
    }

    private static async ValueTask DisposeAllAsync(Stack<IAsyncDisposable> owned)
    {
        while (owned.TryPop(out IAsyncDisposable? item))
        {
            await item.DisposeAsync().ConfigureAwait(false);
        }
    }

    private string DeviceName => (_front?.Device ?? _back!.Device).ToString();

    /// <summary>A malformed packet from the peer: the device reports it (<c>error</c> and Closing), as netfront and netback do.</summary>
    private void Fail(PvRingProtocolException error)
    {
        PvRingLog.ProtocolError(_logger, DeviceName, error.Message);
        _ = _front is not null ? _front.FailAsync(error) : _back!.FailAsync(error);
    }

    private async Task CancelWhenDone(Task peerGone)
    {
        await peerGone.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (Volatile.Read(ref _disposed) == 0)
        {
            PvRingLog.PeerGone(_logger, DeviceName);
            try
            {
                await _peerGone.CancelAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // Disposed meanwhile: nobody waits any more.
            }
        }
    }

    private NetDirections SendDirection => _frontQueue is not null ? NetDirections.Transmit : NetDirections.Receive;

    private NetDirections ReceiveDirection => _frontQueue is not null ? NetDirections.Receive : NetDirections.Transmit;

    /// <summary>
    /// The spin phase of a send that found the ring full, on the caller's thread and outside any state machine (so it runs
    /// optimised code from the first call): polls up to the spin count and sends as soon as there is room. False: still
    /// full, await.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool SpinSend(ReadOnlySpan<byte> packet)
    {
        for (int i = 0; i < _spinCount; i++)
        {
            // The front's room is the ids that come back (with responses, or with a flush in deferred unmap): taking them
            // is the poll, so the shared index is read once per round; the back's is buffers the front posted.
            bool room = _frontQueue is not null ? _frontQueue.CompleteTransmits() > 0 : HasWork(SendDirection);
            if (room && TrySend(packet))
            {
                return true;
            }

            Thread.SpinWait(1);
        }

        return false;
    }

    /// <summary>
    /// The spin phase of a receive that found nothing: polls up to the spin count and receives as soon as a packet is
    /// there. False with <paramref name="length"/> 0: nothing came, await; with a larger length: the packet does not fit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool SpinReceive(Span<byte> buffer, out int length)
    {
        length = 0;
        for (int i = 0; i < _spinCount && !IsPeerGone; i++)
        {
            if (HasWork(ReceiveDirection) && (TryReceive(buffer, out length) || length > 0))
            {
                return length <= buffer.Length;
            }

            Thread.SpinWait(1);
        }

        return false;
    }

    /// <summary>The spin phase of <see cref="ReceivePacketAsync"/>: polls up to the spin count and takes a packet as soon as one is there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool SpinReceivePacket(out PvRingPacket packet)
    {
        packet = default;
        for (int i = 0; i < _spinCount && !IsPeerGone; i++)
        {
            if (HasWork(ReceiveDirection) && TryReceivePacket(out packet))
            {
                return true;
            }

            Thread.SpinWait(1);
        }

        return false;
    }

    /// <summary>A zero-copy packet came back: its buffer goes back to the ring (front) or its slot is answered (back).</summary>
    private void ReleaseSlot(PvRingPacketLeases.Entry entry)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return; // the rings and mappings are gone with the connection
        }

        if (_frontQueue is not null)
        {
            _frontQueue.ReleaseTaken(entry.FrontId);
        }
        else
        {
            _backQueue!.ReleaseTaken(ref entry.BackLease, entry.BackId, push: !_batchingReleases);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool HasWork(NetDirections direction) =>
        _frontQueue is not null ? ((INetQueueWork)_frontQueue).HasWork(direction) : ((INetQueueWork)_backQueue!).HasWork(direction);

    private (SendOperation, ReceiveOperation, ReceivePacketOperation) CreateOperations()
    {
        INetQueueWork queue = _frontQueue is not null ? _frontQueue : _backQueue!;
        EventChannel transmit = _frontQueue?.TransmitChannel ?? _backQueue!.TransmitChannel;
        EventChannel receive = _frontQueue?.ReceiveChannel ?? _backQueue!.ReceiveChannel;
        EventChannel sendChannel = NetQueueWaiter.ChannelFor(SendDirection, transmit, receive);
        EventChannel receiveChannel = NetQueueWaiter.ChannelFor(ReceiveDirection, transmit, receive);
        return (new SendOperation(this, queue, sendChannel), new ReceiveOperation(this, queue, receiveChannel), new ReceivePacketOperation(this, queue, receiveChannel));
    }

    /// <summary>A send waiting for ring space (back-pressure).</summary>
    private sealed class SendOperation(PvRingConnection connection, INetQueueWork queue, EventChannel channel)
        : NetWaitOperation<bool>(queue, connection.SendDirection, channel), IValueTaskSource
    {
        private ReadOnlyMemory<byte> _packet;

        protected override string Kind => "send";

        protected override bool PeerGone => connection.IsPeerGone;

        public ValueTask StartAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken)
        {
            _packet = packet;
            return new ValueTask(this, Start(cancellationToken));
        }

        void IValueTaskSource.GetResult(short token) => GetResult(token);

        protected override bool TryComplete(out bool result)
        {
            // The sender contract: ids that came back since TrySend looked (deferred unmap returns them with a flush, not a
            // response) mean "try again" before waiting.
            result = connection.TrySend(_packet.Span)
                || (connection._frontQueue is not null && connection._frontQueue.CompleteTransmits() > 0 && connection.TrySend(_packet.Span));
            return result;
        }

        protected override bool OnEnd() => throw new PvRingException("The peer closed the connection; the packet was not sent.");
    }

    /// <summary>A <see cref="ReceiveAsync"/> waiting for a packet.</summary>
    private sealed class ReceiveOperation(PvRingConnection connection, INetQueueWork queue, EventChannel channel)
        : NetWaitOperation<int>(queue, connection.ReceiveDirection, channel)
    {
        private Memory<byte> _buffer;

        protected override string Kind => "receive";

        protected override bool PeerGone => connection.IsPeerGone;

        public ValueTask<int> StartAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            _buffer = buffer;
            return new ValueTask<int>(this, Start(cancellationToken));
        }

        protected override bool TryComplete(out int result) =>
            connection.TryReceive(_buffer.Span, out result) || (result > _buffer.Length ? throw TooSmall(result, _buffer.Length) : false);

        // Whatever the peer sent before it closed is still in the ring: take it first, then report the end (0).
        protected override int OnEnd() => TryComplete(out int length) ? length : 0;
    }

    /// <summary>A <see cref="ReceivePacketAsync"/> waiting for a packet.</summary>
    private sealed class ReceivePacketOperation(PvRingConnection connection, INetQueueWork queue, EventChannel channel)
        : NetWaitOperation<PvRingPacket>(queue, connection.ReceiveDirection, channel)
    {
        protected override string Kind => "receive";

        protected override bool PeerGone => connection.IsPeerGone;

        public ValueTask<PvRingPacket> StartAsync(CancellationToken cancellationToken) => new(this, Start(cancellationToken));

        protected override bool TryComplete(out PvRingPacket result) => connection.TryReceivePacket(out result);

        protected override PvRingPacket OnEnd() => TryComplete(out PvRingPacket packet) ? packet : default;
    }

    /// <summary>Lets a synchronous resource sit in the list of what a connection releases.</summary>
    private sealed class SyncDisposer(IDisposable item) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            item.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
