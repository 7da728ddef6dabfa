// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Transport;

/// <summary>
/// One queue of a net back end, as a Linux netback queue: the front end's transmit and receive rings mapped into this
/// process, their event channel(s), and the grant mapper of the agreed mode. Receive the front's packets with
/// <see cref="Receive{THandler}(ref THandler, int)"/>; send packets into the buffers it posted with <see cref="TrySend"/>.
/// </summary>
/// <remarks>
/// <para>Design: the front is hostile. Requests are copied out of the ring once (into a private staging array, where an
/// incomplete chain waits for its last slot) and validated on the copy: known flags only, <c>NETTXF_more_data</c> only
/// with <c>feature-sg</c>, at most 18 slots, the first slot's size equal to the whole chain's and every slot within its
/// page. Then every slot's page is acquired through the mapper (one data path for every mode: the page itself, or a bounce
/// buffer in copy mode); a slot whose grant does not validate fails the whole packet. Only a packet that passed every
/// check reaches the handler; a malformed one throws <see cref="PvRingProtocolException"/> and the queue is broken
/// (the device then writes <c>error</c> and closes, as netback's <c>xenvif_fatal_tx_err</c> does).</para>
/// <para>Concurrency: the transmit side belongs to one thread and the receive side to one thread, each with its own mapper
/// where the mode's mapper is single-threaded.
/// Nothing takes a lock or allocates per packet.</para>
/// </remarks>
public sealed unsafe class NetBackQueue : IDisposable, INetQueueWork
{
    private const NetifTxFlags KnownTxFlags = NetifTxFlags.ChecksumBlank | NetifTxFlags.DataValidated | NetifTxFlags.MoreData;

    private readonly IGrantMapper _transmitMapper;
    private readonly IGrantMapper _receiveMapper;
    private readonly DeferredUnmapMapper? _deferred;
    private readonly bool _scatterGather;
    private readonly bool _inline;

    // With inline data: each staged inline request's bytes, copied out of its slot when staged (indexed by slot), so the
    // handler and a zero-copy take read a private copy, and the front may reuse the slot once it is answered. Pinned.
    private readonly byte[]? _inlineCopies;
    private readonly IDisposable[] _owned;

    private readonly NetifTxRequest[] _transmitStaged;
    private int _transmitStagedCount;
    private readonly GrantLease[] _transmitLeases = new GrantLease[NetPacketLimits.MaxSlots];
    private readonly PacketSegment[] _segments = new PacketSegment[NetPacketLimits.MaxSlots];

    private readonly NetifRxRequest[] _receiveStaged;
    private int _receiveStagedStart;
    private int _receiveStagedCount;
    private int _disposed;

    // The reusable asynchronous wait of each event channel (one object when both rings share a channel).
    private readonly NetQueueWaitOperation _transmitWait;
    private readonly NetQueueWaitOperation _receiveWait;

    private NetBackQueue(
        NetDeviceFeatures agreed, BackRing<NetifTxRequest, NetifTxResponse> transmit, BackRing<NetifRxRequest, NetifRxResponse> receive,
        EventChannel transmitChannel, EventChannel? receiveChannel, IGrantMapper transmitMapper, IGrantMapper receiveMapper, IDisposable[] owned)
    {
        Features = agreed;
        TransmitRing = transmit;
        ReceiveRing = receive;
        TransmitChannel = transmitChannel;
        ReceiveChannel = receiveChannel ?? transmitChannel;
        TransmitRing.Notifier = TransmitChannel;
        ReceiveRing.Notifier = ReceiveChannel;
        _transmitWait = new NetQueueWaitOperation(this, TransmitChannel);
        _receiveWait = ReceiveChannel == TransmitChannel ? _transmitWait : new NetQueueWaitOperation(this, ReceiveChannel);
        _transmitMapper = transmitMapper;
        _receiveMapper = receiveMapper;
        _deferred = transmitMapper as DeferredUnmapMapper;
        _scatterGather = agreed.ScatterGather;
        _inline = agreed.InlineData;
        _inlineCopies = _inline ? GC.AllocateArray<byte>(transmit.Size * NetPacketLimits.MaxInlineSize, pinned: true) : null;
        _owned = owned;
        _transmitStaged = new NetifTxRequest[transmit.Size];
        _receiveStaged = new NetifRxRequest[receive.Size];
    }

    /// <summary>What both ends agreed for this queue.</summary>
    public NetDeviceFeatures Features { get; }

    /// <summary>The front's transmit ring, mapped (the back consumes <see cref="NetifTxRequest"/>s). Driven by <see cref="Receive{THandler}(ref THandler, int)"/>.</summary>
    public BackRing<NetifTxRequest, NetifTxResponse> TransmitRing { get; }

    /// <summary>The front's receive ring, mapped (the back fills posted buffers). Driven by <see cref="TrySend"/>.</summary>
    public BackRing<NetifRxRequest, NetifRxResponse> ReceiveRing { get; }

    /// <summary>The transmit ring's event channel.</summary>
    public EventChannel TransmitChannel { get; }

    /// <summary>The receive ring's event channel: the same object as <see cref="TransmitChannel"/> without split event channels.</summary>
    public EventChannel ReceiveChannel { get; }

    /// <summary>
    /// The grant mapper of the agreed mode for the transmit ring's pages. Each ring has its own (a persistent mapper
    /// belongs to one thread), except deferred unmap and direct map, whose one flush page or one arena mapping both share.
    /// </summary>
    public IGrantMapper TransmitMapper => _transmitMapper;

    /// <summary>The grant mapper for the receive ring's buffers (the same object as <see cref="TransmitMapper"/> for deferred unmap and direct map).</summary>
    public IGrantMapper ReceiveMapper => _receiveMapper;

    /// <summary>Packets received from the front (its transmit ring).</summary>
    public long PacketsReceived { get; private set; }

    /// <summary>Bytes received from the front.</summary>
    public long BytesReceived { get; private set; }

    /// <summary>Packets sent to the front (its receive ring).</summary>
    public long PacketsSent { get; private set; }

    /// <summary>Bytes sent to the front.</summary>
    public long BytesSent { get; private set; }

    /// <summary>Flushes performed for the front (deferred unmap mode).</summary>
    public long Flushes { get; private set; }

    /// <summary>
    /// Delivers every complete packet the front has posted (at most <paramref name="maxPackets"/>) to
    /// <paramref name="handler"/>, in order, answers each slot with <c>NETIF_RSP_OKAY</c> once its packet was delivered
    /// and its pages released, and notifies the front if it asked. Returns how many packets were delivered.
    /// </summary>
    /// <exception cref="PvRingProtocolException">A chain or a grant is malformed; nothing of that packet was delivered; the queue is broken.</exception>
    public int Receive<THandler>(ref THandler handler, int maxPackets = int.MaxValue)
        where THandler : struct, INetPacketHandler, allows ref struct => ReceiveCore(ref handler, maxPackets, int.MaxValue, out _);

    /// <summary>
    /// Receives the next packet into <paramref name="destination"/> if one is complete and fits. True: it is there,
    /// <paramref name="length"/> bytes. False with <paramref name="length"/> 0: nothing waits. False with
    /// <paramref name="length"/> larger than <paramref name="destination"/>: the next packet needs that many bytes and stays
    /// queued for a call with a larger buffer (nothing is lost).
    /// </summary>
    /// <exception cref="PvRingProtocolException">The peer's slots are malformed; nothing of that packet is delivered; the queue is broken.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryReceive(Span<byte> destination, out int length)
    {
        if (_transmitStagedCount == 0 && _deferred is null && TryReceiveOneSlot(destination, out length, out bool handled))
        {
            return handled;
        }

        return TryReceiveStaged(destination, out length);
    }

    /// <summary>
    /// <see cref="TryReceive"/>'s general path (staged requests, chains, flushes), out of line: its copier's locals would
    /// otherwise be zeroed on every call of the one-slot path.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryReceiveStaged(Span<byte> destination, out int length)
    {
        var copier = new NetPacketCopier(destination);
        if (ReceiveCore(ref copier, 1, destination.Length, out int blocked) == 1)
        {
            length = copier.Length;
            return true;
        }

        length = blocked;
        return false;
    }

    /// <summary>
    /// Takes the next packet without copying it if it is complete and in one slot: <paramref name="segment"/> is the front's
    /// page as the mapper leases it (a bounce page in copy mode), held with <paramref name="lease"/>; the slot is answered
    /// only when <see cref="ReleaseTaken(ref GrantLease, ushort)"/> gives it back. False with <paramref name="length"/> 0: nothing complete waits;
    /// with a larger length: the next packet spans several slots (take it with <see cref="TryReceive"/>) and stays queued.
    /// </summary>
    /// <exception cref="PvRingProtocolException">A chain or a grant is malformed; nothing of that packet was delivered; the queue is broken.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool TryTake(out PacketSegment segment, out GrantLease lease, out ushort id, out int length)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        segment = default;
        lease = default;
        id = 0;
        length = 0;
        ServiceFlush();
        // A taken packet shifts the staging down by one: stage a window (more than a chain's slots) rather than the whole ring.
        _transmitStagedCount += StageRequests(_transmitStaged.AsSpan(_transmitStagedCount, Math.Max(0, Math.Min(_transmitStaged.Length, NetPacketLimits.TakeWindow) - _transmitStagedCount)));
        if (_transmitStagedCount == 0)
        {
            return false;
        }

        int slots = ParseTransmitChain(0, out length);
        if (slots != 1)
        {
            length = slots == 0 ? 0 : length; // incomplete: nothing yet; several slots: the caller copies it
            return false;
        }

        AcquireTransmit(0, 1);
        lease = _transmitLeases[0];
        _transmitLeases[0] = default;
        segment = _segments[0];
        id = _transmitStaged[0].Id;
        _transmitStaged.AsSpan(1, _transmitStagedCount - 1).CopyTo(_transmitStaged);
        _transmitStagedCount--;
        PacketsReceived++;
        BytesReceived += length;
        return true;
    }

    /// <summary>Gives back a packet <see cref="TryTake"/> lent: releases its page and answers its slot. Nothing once disposed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void ReleaseTaken(ref GrantLease lease, ushort id) => ReleaseTaken(ref lease, id, push: true);

    /// <summary>
    /// As <see cref="ReleaseTaken(ref GrantLease, ushort)"/>; with <paramref name="push"/> false the answer is produced but
    /// not published: several packets given back at once publish with one <see cref="PushTransmitResponses"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void ReleaseTaken(ref GrantLease lease, ushort id, bool push)
    {
        if (_disposed != 0)
        {
            return;
        }

        _ = _transmitMapper.Release(ref lease);
        TransmitRing.ProduceResponse(NetifEntries.TxResponse(id, NetifStatus.Okay));
        if (push)
        {
            PushTransmitResponses();
        }
    }

    /// <summary>Publishes the transmit answers produced (<c>RING_PUSH_RESPONSES_AND_CHECK_NOTIFY</c>) and notifies the front if it asked. Nothing once disposed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void PushTransmitResponses()
    {
        if (_disposed == 0 && TransmitRing.PushResponsesAndCheckNotify())
        {
            TransmitChannel.Notify();
        }
    }

    /// <summary>
    /// Waits asynchronously until a ring of <paramref name="directions"/> has work (as <see cref="Wait{TWait}"/>, without
    /// spinning). Completes synchronously when work waits already; allocates nothing either way (one reusable wait per
    /// event channel: await each before the next on the same channel).
    /// </summary>
    /// <exception cref="ArgumentException">The directions are on two channels, or none is given.</exception>
    /// <exception cref="PeerGoneException">The peer's process is gone.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<EventWaitResult> WaitAsync(NetDirections directions, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        EventChannel channel = NetQueueWaiter.ChannelFor(directions, TransmitChannel, ReceiveChannel);
        return ((INetQueueWork)this).HasWork(directions)
            ? new ValueTask<EventWaitResult>(EventWaitResult.Signaled)
            : (channel == TransmitChannel ? _transmitWait : _receiveWait).StartAsync(directions, timeout, cancellationToken);
    }

    /// <summary>
    /// The fast path of <see cref="TryReceive"/> for the common packet, one slot, when nothing is staged and no flush is
    /// served: one request copied out (<c>RING_COPY_REQUEST</c>) and checked, its page acquired, one copy, one answer. False:
    /// the request begins a chain or does not fit (it is staged; the general path takes it). True:
    /// <paramref name="received"/> and <paramref name="length"/> are <see cref="TryReceive"/>'s answer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReceiveOneSlot(Span<byte> destination, out int length, out bool received)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        length = 0;
        received = false;
        uint index = TransmitRing.RequestConsumer;
        if (!TransmitRing.TryConsumeRequest(out NetifTxRequest request))
        {
            return true; // nothing waits (or every response slot is taken by lent packets, as the general path would find)
        }

        if ((request.Flags & NetifTxFlags.Inline) != 0 && _inline && request.Size <= destination.Length)
        {
            // Copy, then check: the private copy's size decides; the bytes come from the slot once, before the answer frees it.
            CheckInlineRequest(0, request);
            TransmitRing.GetRequestSlotBytes(index).Slice(NetPacketLimits.InlineOffset, request.Size).CopyTo(destination);
            return AnswerOneSlot(request, out length, out received);
        }

        if ((request.Flags & (NetifTxFlags.MoreData | NetifTxFlags.Inline)) != 0 || request.Size > destination.Length)
        {
            if (_inline && (request.Flags & NetifTxFlags.Inline) != 0)
            {
                StageInline(ref request, index);
            }

            _transmitStaged[0] = request; // a chain, or too large for this buffer: the general path checks and keeps it
            _transmitStagedCount = 1;
            return false;
        }

        CopyPagedSlot(request, destination);
        return AnswerOneSlot(request, out length, out received);
    }

    /// <summary>
    /// The one-slot path's paged packet (a private copy of its request): checked, its page acquired, copied, released. Out
    /// of line: the lease's locals would otherwise be zeroed on every call, inline packets' too.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CopyPagedSlot(in NetifTxRequest request, Span<byte> destination)
    {
        CheckTransmitSlot(request);
        GrantStatus status = _transmitMapper.Acquire(request.GrantRef, request.Offset, request.Size, writable: false, out GrantLease lease);
        if (status != GrantStatus.Okay)
        {
            ThrowBadGrant("transmit slot", request.GrantRef, request.Id, status);
        }

        lease.Span.CopyTo(destination);
        _ = _transmitMapper.Release(ref lease);
    }

    /// <summary>The one-slot path's end: answers the request, publishes the answer and counts the packet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool AnswerOneSlot(in NetifTxRequest request, out int length, out bool received)
    {
        TransmitRing.ProduceResponse(NetifEntries.TxResponse(request.Id, NetifStatus.Okay));
        PushTransmitResponses();
        length = request.Size;
        PacketsReceived++;
        BytesReceived += length;
        received = true;
        return true;
    }

    /// <summary>
    /// Copies waiting requests out of the transmit ring into <paramref name="destination"/> (<c>RING_COPY_REQUEST</c>) and,
    /// with inline data, each inline packet's bytes out of its slot at once (<see cref="StageInline"/>).
    /// </summary>
    private int StageRequests(Span<NetifTxRequest> destination)
    {
        uint first = TransmitRing.RequestConsumer;
        int count = TransmitRing.ConsumeRequests(destination);
        if (_inline)
        {
            for (int i = 0; i < count; i++)
            {
                if ((destination[i].Flags & NetifTxFlags.Inline) != 0)
                {
                    StageInline(ref destination[i], first + (uint)i);
                }
            }
        }

        return count;
    }

    /// <summary>
    /// Copies an inline request's bytes (at most <see cref="NetPacketLimits.MaxInlineSize"/>, as its private copy says) from ring
    /// slot <paramref name="index"/> into the private copies and records the slot in the copy's <c>GrantRef</c> (inline
    /// packets carry no grant). The chain parser checks the request when it reaches it.
    /// </summary>
    private void StageInline(ref NetifTxRequest request, uint index)
    {
        int slot = (int)(index & (uint)(TransmitRing.Size - 1));
        int size = Math.Min((int)request.Size, NetPacketLimits.MaxInlineSize);
        TransmitRing.GetRequestSlotBytes(index).Slice(NetPacketLimits.InlineOffset, size).CopyTo(_inlineCopies.AsSpan(slot * NetPacketLimits.MaxInlineSize));
        request.GrantRef = (uint)slot;
    }

    /// <summary>An inline request (a private copy): 1 to <see cref="NetPacketLimits.MaxInlineSize"/> bytes at offset 0, whole (no more-data), no flag but the checksum ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckInlineRequest(int slot, in NetifTxRequest request)
    {
        if (request.Size is < 1 or > NetPacketLimits.MaxInlineSize || request.Offset != 0
            || (request.Flags & ~(NetifTxFlags.Inline | NetifTxFlags.ChecksumBlank | NetifTxFlags.DataValidated)) != 0)
        {
            ThrowBadInline(slot, request);
        }
    }

    /// <summary>Checks a one-slot transmit request (a private copy) with the chain parser's own rules: known flags, 1 to a page of bytes within its page.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckTransmitSlot(in NetifTxRequest request)
    {
        CheckTransmitFlags(0, request);
        CheckFirstTransmitSlot(request, 0);
    }

    /// <summary>A slot's flags: only those this back end knows and negotiated.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckTransmitFlags(int slot, in NetifTxRequest request)
    {
        if ((request.Flags & ~KnownTxFlags) != 0)
        {
            ThrowBadChain(slot, request, "unknown or unnegotiated flags (extra info is not negotiated)");
        }
    }

    /// <summary>
    /// A chain's first slot, once the later slots' bytes (<paramref name="rest"/>) are known: its size is the packet's,
    /// at least the later slots', and its own bytes (the size less theirs, netback's rule) lie within its page.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckFirstTransmitSlot(in NetifTxRequest first, int rest)
    {
        int length = first.Size;
        if (length == 0 || rest > length)
        {
            ThrowBadFirstSize(first, length, rest);
        }

        if (first.Offset + (length - rest) > XenPage.Size)
        {
            ThrowBadChain(0, first, "offset+size crosses the page");
        }
    }

    // Delivers at most maxPackets complete packets; stops before one longer than maxLength and reports its length.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ReceiveCore<THandler>(ref THandler handler, int maxPackets, int maxLength, out int blockedLength)
        where THandler : struct, INetPacketHandler, allows ref struct
    {
        blockedLength = 0;
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ServiceFlush();
        // RING_COPY_REQUEST for every waiting slot: one read each, into our staging; never more than free response slots.
        _transmitStagedCount += StageRequests(_transmitStaged.AsSpan(_transmitStagedCount));
        int start = 0;
        int delivered = 0;
        while (start < _transmitStagedCount && delivered < maxPackets)
        {
            int slots = ParseTransmitChain(start, out int length);
            if (slots == 0)
            {
                break; // the chain's last slot has not been published yet
            }

            if (length > maxLength)
            {
                blockedLength = length; // it stays staged, whole, for a call that can take it
                break;
            }

            AcquireTransmit(start, slots);
            try
            {
                handler.OnPacket(new NetPacket(_segments.AsSpan(0, slots), length));
            }
            finally
            {
                for (int i = 0; i < slots; i++)
                {
                    _ = _transmitMapper.Release(ref _transmitLeases[i]);
                }
            }

            for (int i = 0; i < slots; i++)
            {
                TransmitRing.ProduceResponse(NetifEntries.TxResponse(_transmitStaged[start + i].Id, NetifStatus.Okay));
            }

            start += slots;
            delivered++;
            PacketsReceived++;
            BytesReceived += length;
        }

        if (start > 0)
        {
            _transmitStaged.AsSpan(start, _transmitStagedCount - start).CopyTo(_transmitStaged);
            _transmitStagedCount -= start;
            // RING_PUSH_RESPONSES_AND_CHECK_NOTIFY, then notify the front only if it armed rsp_event.
            PushTransmitResponses();
        }

        return delivered;
    }

    /// <summary>
    /// Sends one packet of 1 to <see cref="NetDeviceFeatures.MaxPacketSize"/> bytes into receive buffers the front posted:
    /// writes it through the mapper, answers with the byte counts (<c>NETRXF_more_data</c> on all but the last slot) and
    /// notifies the front if it asked. False (nothing sent) when the front has not posted enough buffers yet: wait
    /// (<see cref="Wait{TWait}"/> with <see cref="NetDirections.Receive"/>) and try again.
    /// </summary>
    /// <exception cref="ArgumentException">The packet is empty or larger than the agreed features allow.</exception>
    /// <exception cref="PvRingProtocolException">
    /// A posted buffer's grant does not validate, or the front published an impossible request index (found before the
    /// packet went out or, staging the buffers posted since after the publish, after); the queue is broken.
    /// </exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TrySend(ReadOnlySpan<byte> packet)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (packet.Length == 0 || packet.Length > Features.MaxPacketSize)
        {
            ThrowBadPacketLength(packet.Length);
        }

        ServiceFlush();
        int slots = NetPacketLimits.SlotsFor(packet.Length);
        if (_receiveStagedCount < slots)
        {
            StageReceiveBuffers();
            if (_receiveStagedCount < slots)
            {
                return false;
            }
        }

        if (_inline && packet.Length <= NetPacketLimits.MaxInlineSize)
        {
            // feature-inline-data: the bytes go into the response slot, after the entry; the front's posted buffer stays
            // untouched (no grant mapped or copied), its id only names the answer.
            NetifRxRequest posted = _receiveStaged[_receiveStagedStart];
            packet.CopyTo(ReceiveRing.GetResponseSlotBytes(ReceiveRing.ResponseProducerPrivate)[NetPacketLimits.InlineOffset..]);
            ReceiveRing.ProduceResponse(NetifEntries.RxResponse(posted.Id, NetifRxFlags.Inline, (short)packet.Length));
        }
        else
        {
            int offset = 0;
            for (int slot = 0; slot < slots; slot++)
            {
                NetifRxRequest buffer = _receiveStaged[_receiveStagedStart + slot];
                int chunk = Math.Min(XenPage.Size, packet.Length - offset);
                GrantStatus status = _receiveMapper.Acquire(buffer.GrantRef, 0, chunk, writable: true, out GrantLease lease);
                if (status == GrantStatus.Okay)
                {
                    packet.Slice(offset, chunk).CopyTo(lease.Span);
                    status = _receiveMapper.Release(ref lease);
                }

                if (status != GrantStatus.Okay)
                {
                    ThrowBadGrant("receive buffer", buffer.GrantRef, buffer.Id, status);
                }

                offset += chunk;
                ReceiveRing.ProduceResponse(NetifEntries.RxResponse(buffer.Id, slot < slots - 1 ? NetifRxFlags.MoreData : NetifRxFlags.None, (short)chunk));
            }
        }

        _receiveStagedStart += slots; // an inline packet is one slot
        _receiveStagedCount -= slots;
        PushReceives();
        PacketsSent++;
        BytesSent += packet.Length;
        StageReceiveBuffersIfLow();
        return true;
    }

    /// <summary>Copies the buffers the front has posted since (<c>RING_COPY_REQUEST</c>) behind those staged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void StageReceiveBuffers()
    {
        if (_receiveStagedStart > 0)
        {
            _receiveStaged.AsSpan(_receiveStagedStart, _receiveStagedCount).CopyTo(_receiveStaged);
            _receiveStagedStart = 0;
        }

        _receiveStagedCount += ReceiveRing.ConsumeRequests(_receiveStaged.AsSpan(_receiveStagedCount));
    }

    /// <summary>
    /// After a publish, stages the posted buffers once fewer than a chain's worth are staged: their lines come over while
    /// the caller waits for the peer or prepares its next packet, not in the send that would find none.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StageReceiveBuffersIfLow()
    {
        if (_receiveStagedCount < NetPacketLimits.MaxSlots)
        {
            StageReceiveBuffers();
        }
    }

    /// <summary>
    /// Claims the next receive buffer the front posted, for a one-slot packet the caller writes in place (the pipe's
    /// writer): <paramref name="lease"/> is its page, writable, as the mapper leases it (a bounce page in copy mode). Nothing
    /// is answered until <see cref="PostClaimedReceive"/>. False when the front has posted no buffer yet: wait for the
    /// receive direction and try again.
    /// </summary>
    /// <exception cref="PvRingProtocolException">The buffer's grant does not validate; the queue is broken.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool TryClaimReceive(out GrantLease lease, out NetifRxRequest buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ServiceFlush();
        if (_receiveStagedCount == 0)
        {
            _receiveStagedStart = 0;
            _receiveStagedCount = ReceiveRing.ConsumeRequests(_receiveStaged);
            if (_receiveStagedCount == 0)
            {
                lease = default;
                buffer = default;
                return false;
            }
        }

        buffer = _receiveStaged[_receiveStagedStart];
        GrantStatus status = _receiveMapper.Acquire(buffer.GrantRef, 0, XenPage.Size, writable: true, out lease);
        if (status != GrantStatus.Okay)
        {
            ThrowBadGrant("receive buffer", buffer.GrantRef, buffer.Id, status);
        }

        _receiveStagedStart++;
        _receiveStagedCount--;
        return true;
    }

    /// <summary>Answers a claimed buffer with <paramref name="length"/> bytes (1 to a page) as a one-slot packet; <see cref="PushReceives"/> publishes.</summary>
    /// <exception cref="PvRingProtocolException">The buffer's grant did not validate on release; the queue is broken.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void PostClaimedReceive(ref GrantLease lease, NetifRxRequest buffer, int length)
    {
        GrantStatus status = _receiveMapper.Release(ref lease);
        if (status != GrantStatus.Okay)
        {
            ThrowBadGrant("receive buffer", buffer.GrantRef, buffer.Id, status);
        }

        ReceiveRing.ProduceResponse(NetifEntries.RxResponse(buffer.Id, NetifRxFlags.None, (short)length));
        PacketsSent++;
        BytesSent += length;
    }

    /// <summary>Publishes the answered buffers (<c>RING_PUSH_RESPONSES_AND_CHECK_NOTIFY</c>) and notifies the front if it asked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void PushReceives()
    {
        if (ReceiveRing.PushResponsesAndCheckNotify())
        {
            ReceiveChannel.Notify();
        }
    }

    /// <summary>Gives back a claimed buffer that was never answered: its page is released and it is the next one used. Nothing once disposed.</summary>
    internal void ReturnClaimedReceive(ref GrantLease lease, NetifRxRequest buffer)
    {
        if (_disposed != 0)
        {
            return;
        }

        _ = _receiveMapper.Release(ref lease);
        if (_receiveStagedStart == 0)
        {
            _receiveStaged.AsSpan(0, _receiveStagedCount).CopyTo(_receiveStaged.AsSpan(1));
            _receiveStagedStart = 1;
        }

        _receiveStaged[--_receiveStagedStart] = buffer;
        _receiveStagedCount++;
    }

    /// <summary>
    /// Waits until a ring of <paramref name="directions"/> has work (transmit packets, receive buffers, or a flush the
    /// front asked for), polling as <paramref name="strategy"/> says, then sleeping on their event channel. Both directions
    /// can be waited on together only when they share one channel: otherwise run one pump per direction.
    /// </summary>
    /// <exception cref="ArgumentException">The directions are on two channels, or none is given.</exception>
    /// <exception cref="PeerGoneException">The front end's process is gone.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public EventWaitResult Wait<TWait>(NetDirections directions, TWait strategy, TimeSpan timeout, CancellationToken cancellationToken = default)
        where TWait : struct, IWaitStrategy
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return NetQueueWaiter.Wait(this, directions, NetQueueWaiter.ChannelFor(directions, TransmitChannel, ReceiveChannel), strategy, timeout, cancellationToken);
    }

    /// <inheritdoc/>
    bool INetQueueWork.IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    bool INetQueueWork.HasWork(NetDirections directions) =>
        (_deferred is not null && _deferred.IsFlushRequested)
        || ((directions & NetDirections.Transmit) != 0 && TransmitRing.UnconsumedRequests > 0)
        || ((directions & NetDirections.Receive) != 0 && ReceiveRing.UnconsumedRequests > 0);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    bool INetQueueWork.ArmAndCheck(NetDirections directions)
    {
        bool work = _deferred is not null && _deferred.IsFlushRequested;
        if ((directions & NetDirections.Transmit) != 0)
        {
            work |= TransmitRing.FinalCheckForRequests();
        }

        if ((directions & NetDirections.Receive) != 0)
        {
            work |= ReceiveRing.FinalCheckForRequests();
        }

        return work;
    }

    /// <inheritdoc/>
    /// <remarks>Both rings, the grants and the flush page are the front's memory: one ring's check covers them all.</remarks>
    void INetQueueWork.CheckIntact() => TransmitRing.CheckIntact();

    /// <summary>Releases every mapping (so the front can end its grants), the rings and the channels.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }
    }

    /// <summary>
    /// Maps the rings named by the front's references, binds its ports and creates the mode's mapper (queue
    /// <paramref name="index"/>'s flush page in deferred unmap), whose maps, copies and flushes are counted as
    /// <paramref name="device"/>'s queue <paramref name="index"/> (the "PvRing.Grants" meter).
    /// </summary>
    internal static NetBackQueue Attach(
        ForeignDomain front, EventDomain events, NetDeviceFeatures agreed, int index, uint[] transmitReferences, uint[] receiveReferences, int transmitPort, int? receivePort,
        string device)
    {
        foreach (uint reference in transmitReferences)
        {
            if (Array.IndexOf(receiveReferences, reference) >= 0)
            {
                // The two rings would be one page: every transmit slot a receive slot as well.
                throw new PvRingProtocolException($"The front end's tx and rx rings share grant reference {reference}.");
            }
        }

        var owned = new List<IDisposable>();
        try
        {
            // Created first, so disposed last (Own puts each later item before it): the mappers count into it until they go.
            GrantUserCounters grantCounters = Own(owned, new GrantUserCounters(front, device, index));
            ForeignRing transmitMapping = Own(owned, ForeignRing.Map(front, transmitReferences));
            ForeignRing receiveMapping = Own(owned, ForeignRing.Map(front, receiveReferences));
            BackRing<NetifTxRequest, NetifTxResponse> transmit = Own(owned, transmitMapping.Attach<NetifTxRequest, NetifTxResponse>(agreed.TransmitVariant));
            BackRing<NetifRxRequest, NetifRxResponse> receive = Own(owned, receiveMapping.Attach<NetifRxRequest, NetifRxResponse>(agreed.ReceiveVariant));
            EventChannel transmitChannel = Own(owned, events.BindInterdomain(front.DomainId, transmitPort));
            EventChannel? receiveChannel = receivePort is int port ? Own(owned, events.BindInterdomain(front.DomainId, port)) : null;
            // Room for every page the front can have out at once on a ring (one buffer per slot), so nothing is purged or
            // refused while it is leased; copy mode needs one packet's bounce pages. Deferred unmap and direct map share
            // one mapper (the queue's flush page, one arena mapping; both thread-safe), the others get one per ring.
            IGrantMapper transmitMapper;
            IGrantMapper receiveMapper;
            GrantScheme scheme = agreed.GrantScheme;
            if (scheme is GrantScheme.DeferredUnmap or GrantScheme.DirectMap)
            {
                transmitMapper = receiveMapper = GrantMapperFactory.Create(scheme, front, transmit.Size + receive.Size, flushPage: index, grantCounters);
                owned.Insert(0, transmitMapper);
            }
            else
            {
                // The transmit side also lends up to MaxHeldPackets pages to the application (zero-copy receive).
                transmitMapper = GrantMapperFactory.Create(scheme, front, scheme == GrantScheme.Copy ? NetPacketLimits.MaxSlots + NetPacketLimits.MaxHeldPackets : transmit.Size, counters: grantCounters);
                owned.Insert(0, transmitMapper);
                receiveMapper = GrantMapperFactory.Create(scheme, front, scheme == GrantScheme.Copy ? NetPacketLimits.MaxSlots : receive.Size, counters: grantCounters);
                owned.Insert(0, receiveMapper);
            }

            // Disposed first (they are at the front of the list): mappings go before the rings and channels.
            return new NetBackQueue(agreed, transmit, receive, transmitChannel, receiveChannel, transmitMapper, receiveMapper, [.. owned]);
        }
        catch
        {
            foreach (IDisposable item in Enumerable.Reverse(owned))
            {
                item.Dispose();
            }

            throw;
        }
    }

    private static T Own<T>(List<IDisposable> owned, T item)
        where T : IDisposable
    {
        owned.Insert(0, item);
        return item;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadPacketLength(int length) =>
        throw new ArgumentException($"A packet is 1 to the agreed maximum bytes (65535 with feature-sg, 4096 without); this one has {length}.", "packet");

    // Out of line, with their messages formatted there: a message built at the call site would put its interpolation
    // handler (and the zeroing of its locals) into the hot methods these checks are inlined into.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadInline(int slot, NetifTxRequest request) =>
        ThrowBadChain(slot, request, $"an inline slot holds 1..{NetPacketLimits.MaxInlineSize} bytes at offset 0, whole");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadFirstSize(NetifTxRequest first, int length, int rest) =>
        ThrowBadChain(0, first, $"the first slot's size {length} is not the chain's total (later slots hold {rest})");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadChain(int index, NetifTxRequest request, string what) => throw new PvRingProtocolException(
        $"The front end sent a malformed transmit chain: {what} (slot {index}: gref={request.GrantRef} offset={request.Offset} flags=0x{(ushort)request.Flags:x} id={request.Id} size={request.Size}).");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadGrant(string what, uint reference, ushort id, GrantStatus status) =>
        throw new PvRingProtocolException($"The front end's {what} does not validate: gref={reference} id={id} status={status}.");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ServiceFlush()
    {
        if (_deferred is null || !_deferred.IsFlushRequested)
        {
            return;
        }

        long before = _deferred.FlushCount;
        _ = _deferred.ServiceFlush();
        if (_deferred.FlushCount != before)
        {
            Flushes++;
            // The front may sleep on either ring waiting for its pages: wake both.
            TransmitChannel.Notify();
            if (ReceiveChannel != TransmitChannel)
            {
                ReceiveChannel.Notify();
            }
        }
    }

    /// <summary>Checks the chain starting at staged request <paramref name="start"/>; returns its slots, or 0 if it is not complete yet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ParseTransmitChain(int start, out int length)
    {
        NetifTxRequest first = _transmitStaged[start];
        length = first.Size;
        if ((first.Flags & NetifTxFlags.Inline) != 0 && _inline)
        {
            CheckInlineRequest(0, first); // a whole packet in one slot; inside a chain the flag is refused as unknown
            return 1;
        }

        int rest = 0;
        for (int slot = 0; ; slot++)
        {
            if (start + slot >= _transmitStagedCount)
            {
                if (slot >= NetPacketLimits.MaxSlots)
                {
                    ThrowBadChain(slot, _transmitStaged[start + slot - 1], $"more than {NetPacketLimits.MaxSlots} slots");
                }

                return 0;
            }

            NetifTxRequest request = _transmitStaged[start + slot];
            CheckTransmitFlags(slot, request);

            if (slot >= NetPacketLimits.MaxSlots)
            {
                ThrowBadChain(slot, request, $"more than {NetPacketLimits.MaxSlots} slots");
            }

            if (slot > 0)
            {
                rest += request.Size;
                if (request.Offset + request.Size > XenPage.Size)
                {
                    ThrowBadChain(slot, request, "offset+size crosses the page");
                }
            }

            if ((request.Flags & NetifTxFlags.MoreData) == 0)
            {
                CheckFirstTransmitSlot(first, rest);
                return slot + 1;
            }

            if (!_scatterGather)
            {
                ThrowBadChain(slot, request, "NETTXF_more_data without feature-sg");
            }
        }
    }

    /// <summary>Acquires every slot's page (read-only); on any failure releases what it took and throws.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AcquireTransmit(int start, int slots)
    {
        NetifTxRequest first = _transmitStaged[start];
        int rest = 0;
        for (int i = 1; i < slots; i++)
        {
            rest += _transmitStaged[start + i].Size;
        }

        for (int i = 0; i < slots; i++)
        {
            NetifTxRequest request = _transmitStaged[start + i];
            int size = i == 0 ? first.Size - rest : request.Size;
            if ((request.Flags & NetifTxFlags.Inline) != 0)
            {
                // Checked by the parser; StageInline put the slot's bytes in the private copies and the slot number in GrantRef.
                _transmitLeases[i] = default;
                _segments[i] = new PacketSegment { Address = (byte*)Unsafe.AsPointer(ref _inlineCopies![(int)request.GrantRef * NetPacketLimits.MaxInlineSize]), Length = size };
                continue;
            }

            GrantStatus status = _transmitMapper.Acquire(request.GrantRef, request.Offset, size, writable: false, out _transmitLeases[i]);
            if (status != GrantStatus.Okay)
            {
                for (int j = 0; j < i; j++)
                {
                    _ = _transmitMapper.Release(ref _transmitLeases[j]);
                }

                ThrowBadGrant("transmit slot", request.GrantRef, request.Id, status);
            }

            _segments[i] = new PacketSegment { Address = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(_transmitLeases[i].Span)), Length = size };
        }
    }
}
