// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using PvRing.Events;
using PvRing.Grants;

namespace PvRing.Transport;

/// <summary>
/// One queue of a <see cref="PvRingConnection"/> (hackathon item E, Linux's multiqueue): its own transmit and receive
/// rings, event channels, buffer ids and grants, nothing shared with the other queues on the hot path. Packets keep their
/// order within a queue; across queues there is no order. A connection without multiqueue has one queue, and the
/// connection's own methods are this queue's.
/// </summary>
/// <remarks>
/// One sender and one receiver at a time per queue (they may be two threads), like a pipe's writer and reader: the calls
/// of one direction must not overlap. Run one worker per queue, on the queue's <see cref="Cpu"/>, with
/// <see cref="PvRingConnection.RunWorkers"/>.
/// </remarks>
public sealed class PvRingQueue
{
    private readonly PvRingConnection _connection;
    private readonly NetFrontQueue? _frontQueue;
    private readonly NetBackQueue? _backQueue;
    private readonly PvRingPacketLeases _leases;
    private readonly SendOperation _send;
    private readonly ReceiveOperation _receive;
    private readonly ReceivePacketOperation _receivePacket;
    private readonly int _spinCount;
    private bool _batchingReleases;
    private readonly EventChannel _receiveChannel;
    private readonly EventChannel _sendChannel;

    internal PvRingQueue(PvRingConnection connection, int index, NetFrontQueue? front, NetBackQueue? back, int cpu, int spinCount)
    {
        _connection = connection;
        _frontQueue = front;
        _backQueue = back;
        Index = index;
        Cpu = cpu;
        _spinCount = spinCount;
        _leases = new PvRingPacketLeases(ReleaseSlot, front is not null ? front.ReceiveRing.Size : back!.TransmitRing.Size);
        INetQueueWork queue = front is not null ? front : back!;
        EventChannel transmit = front?.TransmitChannel ?? back!.TransmitChannel;
        EventChannel receive = front?.ReceiveChannel ?? back!.ReceiveChannel;
        _sendChannel = NetQueueWaiter.ChannelFor(SendDirection, transmit, receive);
        _send = new SendOperation(this, queue, _sendChannel);
        EventChannel receiveChannel = NetQueueWaiter.ChannelFor(ReceiveDirection, transmit, receive);
        _receive = new ReceiveOperation(this, queue, receiveChannel);
        _receivePacket = new ReceivePacketOperation(this, queue, receiveChannel);
        _receiveChannel = receiveChannel;
    }

    /// <summary>The queue's number, 0 to the connection's queue count - 1 (its keys are under <c>queue-N/</c> when there are several).</summary>
    public int Index { get; }

    /// <summary>
    /// The CPU this queue's worker runs on (<see cref="PvRingConnection.RunWorkers"/>), as the placement chose it; -1 when
    /// the placement pins nothing (<see cref="PvRingQueuePlacement.None"/>).
    /// </summary>
    public int Cpu { get; }

    /// <summary>How many one-page packets <see cref="ReceivePacketAsync"/> lends in place at once (half the receiving ring, at most 64).</summary>
    internal int SlotLendBudget => _leases.SlotBudget;

    /// <summary>How many polls a wait spins before it awaits the event channel.</summary>
    internal int SpinCount => _spinCount;

    /// <summary>The front end's queue (null on a back end).</summary>
    internal NetFrontQueue? FrontQueue => _frontQueue;

    /// <summary>The back end's queue (null on a front end).</summary>
    internal NetBackQueue? BackQueue => _backQueue;

    /// <summary>Whether the next one-page packet would be lent in place (the lend budget is not spent).</summary>
    internal bool CanLendSlot => _leases.CanLendSlot;

    /// <summary>
    /// Starts giving back several lent packets at once (the pipe's reader, in <c>AdvanceTo</c>): the back end's answers are
    /// published once, by <see cref="EndReleaseBatch"/>, rather than one push (a full fence and a shared index) per packet.
    /// </summary>
    internal void BeginReleaseBatch() => _batchingReleases = true;

    /// <summary>Ends <see cref="BeginReleaseBatch"/>: publishes the answers produced meanwhile.</summary>
    internal void EndReleaseBatch()
    {
        _batchingReleases = false;
        if (_backQueue is not null && !_connection.IsDisposed)
        {
            _backQueue.PushTransmitResponses();
        }
    }

    private NetDirections SendDirection => _frontQueue is not null ? NetDirections.Transmit : NetDirections.Receive;

    private NetDirections ReceiveDirection => _frontQueue is not null ? NetDirections.Receive : NetDirections.Transmit;

    /// <summary>Sends one packet on this queue if its ring has room now: true when it is on its way, false (nothing sent) when full.</summary>
    /// <exception cref="ArgumentException">The packet is empty or larger than the negotiated features allow.</exception>
    /// <exception cref="PvRingException">The peer closed the connection or went away; the packet was not sent.</exception>
    /// <exception cref="PvRingProtocolException">
    /// The peer broke the protocol, found before the packet went out or in the answers and buffers a send takes after its
    /// publish; the connection is broken.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The connection was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TrySend(ReadOnlySpan<byte> packet)
    {
        if (_connection.IsPeerGone)
        {
            ThrowPeerGone();
        }

        try
        {
            return _frontQueue is not null ? _frontQueue.TrySend(packet) : _backQueue!.TrySend(packet);
        }
        catch (PvRingProtocolException e)
        {
            _connection.Fail(e);
            throw;
        }
    }

    /// <summary>Sends one packet on this queue, waiting for ring space as long as it takes (back-pressure: nothing is dropped).</summary>
    /// <exception cref="ArgumentException">The packet is empty or larger than the negotiated features allow.</exception>
    /// <exception cref="PvRingException">The peer closed the connection (a <see cref="PeerGoneException"/> if its process died); the packet was not sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the packet was not sent.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ValueTask SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default) =>
        TrySend(packet.Span) || SpinSend(packet.Span) ? ValueTask.CompletedTask : _send.StartAsync(packet, cancellationToken);

    /// <summary>
    /// Takes this queue's next packet into <paramref name="buffer"/> if one waits. True: <paramref name="length"/> bytes are
    /// there. False with <paramref name="length"/> 0: nothing waits. False with a larger <paramref name="length"/>: the next
    /// packet needs that many bytes; it stays for a call with a large enough buffer.
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
            _connection.Fail(e);
            throw;
        }
    }

    /// <summary>
    /// Receives this queue's next packet into <paramref name="buffer"/>, waiting for one; returns its length, or 0 once the
    /// peer has closed and every packet it sent on this queue has been taken.
    /// </summary>
    /// <exception cref="ArgumentException">The next packet is larger than <paramref name="buffer"/> (the message says how large); it stays for the next call.</exception>
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
    /// Takes this queue's next packet if one waits, lent without a copy where it fits in one page (see
    /// <see cref="PvRingPacket"/>); dispose it when done. False: nothing waits.
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
            _connection.Fail(e);
            throw;
        }
    }

    /// <summary>
    /// Receives this queue's next packet, waiting for one, lent without a copy where it fits in one page (see
    /// <see cref="PvRingPacket"/> and its rules). An empty packet (<see cref="PvRingPacket.IsEmpty"/>) means the peer closed
    /// and every packet it sent on this queue was taken.
    /// </summary>
    /// <exception cref="PeerGoneException">The peer's process died.</exception>
    /// <exception cref="PvRingProtocolException">The peer sent a malformed packet; the connection is broken.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; nothing was taken.</exception>
    public ValueTask<PvRingPacket> ReceivePacketAsync(CancellationToken cancellationToken = default) =>
        TryReceivePacket(out PvRingPacket packet) || SpinReceivePacket(out packet) ? new ValueTask<PvRingPacket>(packet) : _receivePacket.StartAsync(cancellationToken);

    /// <inheritdoc/>
    public override string ToString() => Cpu >= 0 ? $"queue {Index} on cpu {Cpu}" : $"queue {Index}";

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowPeerGone() => throw new PvRingException("The peer closed the connection; the packet was not sent.");

    private static ArgumentException TooSmall(int needed, int length) =>
        new($"The next packet has {needed} bytes; the buffer holds {length}. The packet stays for a call with a larger buffer.", "buffer");

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
        for (int i = 0; i < _spinCount && !_connection.IsPeerGone; i++)
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
        for (int i = 0; i < _spinCount && !_connection.IsPeerGone; i++)
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
        if (_connection.IsDisposed)
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

    /// <summary>A send waiting for ring space (back-pressure).</summary>
    private sealed class SendOperation(PvRingQueue owner, INetQueueWork queue, EventChannel channel)
        : NetWaitOperation<bool>(queue, owner.SendDirection, channel), IValueTaskSource
    {
        private ReadOnlyMemory<byte> _packet;

        protected override string Kind => "send";

        protected override bool PeerGone => owner._connection.IsPeerGone;

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
            result = owner.TrySend(_packet.Span)
                || (owner._frontQueue is not null && owner._frontQueue.CompleteTransmits() > 0 && owner.TrySend(_packet.Span));
            return result;
        }

        // A peer that vanished without closing gets the same error as a receive gets (PeerGoneException when it died).
        protected override bool OnEnd() =>
            throw owner._connection.PeerVanishedError(owner._sendChannel) ?? new PvRingException("The peer closed the connection; the packet was not sent.");
    }

    /// <summary>A <see cref="ReceiveAsync"/> waiting for a packet.</summary>
    private sealed class ReceiveOperation(PvRingQueue owner, INetQueueWork queue, EventChannel channel)
        : NetWaitOperation<int>(queue, owner.ReceiveDirection, channel)
    {
        private Memory<byte> _buffer;

        protected override string Kind => "receive";

        protected override bool PeerGone => owner._connection.IsPeerGone;

        public ValueTask<int> StartAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            _buffer = buffer;
            return new ValueTask<int>(this, Start(cancellationToken));
        }

        protected override bool TryComplete(out int result) =>
            owner.TryReceive(_buffer.Span, out result) || (result > _buffer.Length ? throw TooSmall(result, _buffer.Length) : false);

        // Whatever the peer sent before it closed is still in the ring: take it first, then report the end (0), or the
        // peer's death when it vanished without closing.
        protected override int OnEnd() =>
            TryComplete(out int length) ? length : owner._connection.PeerVanishedError(owner._receiveChannel) is PvRingException e ? throw e : 0;
    }

    /// <summary>A <see cref="ReceivePacketAsync"/> waiting for a packet.</summary>
    private sealed class ReceivePacketOperation(PvRingQueue owner, INetQueueWork queue, EventChannel channel)
        : NetWaitOperation<PvRingPacket>(queue, owner.ReceiveDirection, channel)
    {
        protected override string Kind => "receive";

        protected override bool PeerGone => owner._connection.IsPeerGone;

        public ValueTask<PvRingPacket> StartAsync(CancellationToken cancellationToken) => new(this, Start(cancellationToken));

        protected override bool TryComplete(out PvRingPacket result) => owner.TryReceivePacket(out result);

        protected override PvRingPacket OnEnd() =>
            TryComplete(out PvRingPacket packet) ? packet : owner._connection.PeerVanishedError(owner._receiveChannel) is PvRingException e ? throw e : default;
    }
}
