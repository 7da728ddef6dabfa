// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Transport;

/// <summary>
/// One queue of a net front end, as Linux's <c>struct netfront_queue</c>: its transmit and receive rings (granted from
/// the front's memory), event channel(s), the transmit id free list with one buffer frame per id, and the receive buffers
/// it keeps posted to the back end. Send with <see cref="TrySend"/>, receive with <see cref="Receive{THandler}(ref THandler, int)"/>.
/// </summary>
/// <remarks>
/// <para>Design: a packet is copied into the frames of as many transmit ids as it needs pages (one slot per page,
/// <c>NETTXF_more_data</c> on all but the last, the first slot carrying the whole size, as netif.h says); each frame is
/// granted read-only per packet (copy, map, deferred unmap), granted once at connect (persistent) or named by its frame
/// number (direct map). An id comes back when its response arrives and the grant ends; with deferred unmap the grant
/// can end only after a flush the front requests (every quarter ring, or when ids run out), so the page is never
/// reused while the back may still map it.</para>
/// <para>Receive buffers: one frame per receive id, granted writable and posted in batches; the back fills them and
/// answers with the byte count (<c>NETRXF_more_data</c> on chains). The back's responses are hostile input: every id,
/// size and flag is checked on a private copy before a byte reaches the handler.</para>
/// <para>Concurrency: the transmit methods belong to one thread and the receive methods to one thread (the same or
/// another); neither takes a lock or allocates.</para>
/// </remarks>
public sealed unsafe class NetFrontQueue : IDisposable, INetQueueWork
{
    private const NetifRxFlags KnownRxFlags = NetifRxFlags.DataValidated | NetifRxFlags.ChecksumBlank | NetifRxFlags.MoreData;

    private readonly GrantDomain _grants;
    private readonly GrantUserCounters _grantCounters;
    private readonly GrantedRing _transmitGrant;
    private readonly GrantedRing _receiveGrant;
    private readonly DeferredUnmapFrontend? _flush;
    private readonly NetBufferIds _transmitIds;
    private readonly NetBufferIds _receiveIds;
    private readonly NetifTxResponse[] _transmitResponses;

    // Receive responses consumed from the ring; an incomplete chain stays staged until its last slot arrives.
    private readonly NetifRxResponse[] _receiveResponses;
    private int _receiveStaged;
    private readonly PacketSegment[] _segments = new PacketSegment[NetPacketLimits.MaxSlots];
    private readonly int _refillBatch;

    // Outstanding transmit requests at which a send takes the answers after its publish (a quarter of the ring, at most 64).
    private readonly int _answerBatch;

    // Posted receive buffers the back has not filled yet, below which a one-slot receive posts the due ones before it
    // returns: the largest packet's slots and a batch. With more, the back can send any packet, and they wait for the next receive.
    private readonly int _urgentRefill;

    // The receive id posted at each ring index (modulo the ring's size): a back that fills buffers in the order they were
    // posted (PvRing's and Linux's do) answers index i with it, so that buffer's first line can start loading while the
    // response itself is read. A wrong guess costs one wasted line fetch.
    private readonly ushort[] _postedIdAt;

    // Deferred unmap: answered ids come back only after a flush the back performs when it next runs, so answers are taken
    // (and the flush requested) while half the ids are still free, not when they have run out.
    private readonly int _transmitLowWater;
    private readonly bool _scatterGather;
    private readonly bool _inline;
    private int _disposed;

    // The reusable asynchronous wait of each event channel (one object when both rings share a channel).
    private readonly NetQueueWaitOperation _transmitWait;
    private readonly NetQueueWaitOperation _receiveWait;

    private NetFrontQueue(
        GrantDomain grants, GrantUserCounters grantCounters, int back, NetDeviceFeatures agreed, uint firstFrame, GrantedRing transmitGrant, GrantedRing receiveGrant,
        EventChannel transmitChannel, EventChannel? receiveChannel, DeferredUnmapFrontend? flush)
    {
        _grants = grants;
        _grantCounters = grantCounters;
        _scatterGather = agreed.ScatterGather;
        _inline = agreed.InlineData;
        _transmitGrant = transmitGrant;
        _receiveGrant = receiveGrant;
        _flush = flush;
        Features = agreed;
        TransmitRing = transmitGrant.Initialize<NetifTxRequest, NetifTxResponse>(agreed.TransmitVariant);
        ReceiveRing = receiveGrant.Initialize<NetifRxRequest, NetifRxResponse>(agreed.ReceiveVariant);
        TransmitChannel = transmitChannel;
        ReceiveChannel = receiveChannel ?? transmitChannel;
        TransmitRing.Notifier = TransmitChannel;
        ReceiveRing.Notifier = ReceiveChannel;
        _transmitWait = new NetQueueWaitOperation(this, TransmitChannel);
        _receiveWait = ReceiveChannel == TransmitChannel ? _transmitWait : new NetQueueWaitOperation(this, ReceiveChannel);

        // Buffers follow the two rings: one transmit frame per transmit slot, then one receive frame per receive slot.
        uint transmitFirstFrame = firstFrame + (2u << agreed.RingPageOrder);
        int transmitSize = TransmitRing.Size;
        int receiveSize = ReceiveRing.Size;
        _refillBatch = Math.Max(1, Math.Min(64, receiveSize / 4));
        _answerBatch = Math.Max(1, Math.Min(64, transmitSize / 4));
        _urgentRefill = NetPacketLimits.MaxSlots + _refillBatch;
        _transmitIds = new NetBufferIds(grants, back, agreed.GrantModes, transmitFirstFrame, transmitSize, readOnly: true, flushAt: Math.Max(1, transmitSize / 4), grantCounters);
        _receiveIds = new NetBufferIds(grants, back, agreed.GrantModes, transmitFirstFrame + (uint)transmitSize, receiveSize, readOnly: false, flushAt: _refillBatch, grantCounters);
        _transmitResponses = new NetifTxResponse[transmitSize];
        _transmitLowWater = flush is null ? 0 : transmitSize / 2;
        _receiveResponses = new NetifRxResponse[receiveSize];
        _postedIdAt = new ushort[receiveSize];
    }

    /// <summary>What both ends agreed for this queue.</summary>
    public NetDeviceFeatures Features { get; }

    /// <summary>The transmit ring (the front produces <see cref="NetifTxRequest"/>s). Driven by <see cref="TrySend"/>; exposed for diagnostics.</summary>
    public FrontRing<NetifTxRequest, NetifTxResponse> TransmitRing { get; }

    /// <summary>The receive ring (the front posts <see cref="NetifRxRequest"/> buffers). Driven by <see cref="Receive{THandler}(ref THandler, int)"/>.</summary>
    public FrontRing<NetifRxRequest, NetifRxResponse> ReceiveRing { get; }

    /// <summary>The transmit ring's event channel.</summary>
    public EventChannel TransmitChannel { get; }

    /// <summary>The receive ring's event channel: the same object as <see cref="TransmitChannel"/> without split event channels.</summary>
    public EventChannel ReceiveChannel { get; }

    /// <summary>Packets sent.</summary>
    public long PacketsSent { get; private set; }

    /// <summary>Bytes sent.</summary>
    public long BytesSent { get; private set; }

    /// <summary>Packets received.</summary>
    public long PacketsReceived { get; private set; }

    /// <summary>Bytes received.</summary>
    public long BytesReceived { get; private set; }

    /// <summary>Transmit responses whose status was not <c>NETIF_RSP_OKAY</c> (the back dropped the packet).</summary>
    public long TransmitErrors { get; private set; }

    /// <summary>Flushes requested from the back (deferred unmap mode).</summary>
    public long FlushesRequested => _transmitIds.FlushesRequested + _receiveIds.FlushesRequested;

    /// <summary>The arena frames one queue takes from its first frame for <paramref name="wants"/>: both rings and one buffer per slot.</summary>
    public static int FramesNeeded(NetDeviceFeatures wants)
    {
        RingVariant variant = wants.Variant;
        return (2 << wants.RingPageOrder)
            + RingVariantLayout.SlotCount<NetifTxRequest, NetifTxResponse>(variant)
            + RingVariantLayout.SlotCount<NetifRxRequest, NetifRxResponse>(variant);
    }

    /// <summary>
    /// Sends one packet of 1 to <see cref="NetDeviceFeatures.MaxPacketSize"/> bytes: copies it into transmit buffers,
    /// grants them as the mode says, posts its slot chain and notifies the back if it asked. False (nothing sent) when
    /// there are not enough free ids or ring slots yet: wait (<see cref="Wait{TWait}"/> with <see cref="NetDirections.Transmit"/>) and try again.
    /// </summary>
    /// <exception cref="ArgumentException">The packet is empty or larger than the agreed features allow.</exception>
    /// <exception cref="PvRingProtocolException">
    /// The back answered with an id it was not given, found before the packet went out or, in the answers a send takes after
    /// its publish, after; the queue is broken.
    /// </exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TrySend(ReadOnlySpan<byte> packet)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (packet.Length == 0 || packet.Length > Features.MaxPacketSize)
        {
            ThrowBadPacketLength(packet.Length);
        }

        int slots = NetPacketLimits.SlotsFor(packet.Length);
        if (_transmitIds.FreeCount < slots + _transmitLowWater || TransmitRing.FreeRequests < slots)
        {
            CompleteTransmits();
            if (_transmitIds.FreeCount < slots || TransmitRing.FreeRequests < slots)
            {
                return false;
            }
        }

        if (_inline && packet.Length <= NetPacketLimits.MaxInlineSize)
        {
            // feature-inline-data: the bytes go into the slot, after the entry, before the push publishes both.
            int inlineId = _transmitIds.TakeInline();
            packet.CopyTo(TransmitRing.GetRequestSlotBytes(TransmitRing.RequestProducerPrivate)[NetPacketLimits.InlineOffset..]);
            TransmitRing.ProduceRequest(NetifEntries.TxRequest(0, NetifTxFlags.Inline, (ushort)inlineId, (ushort)packet.Length));
        }
        else
        {
            int offset = 0;
            for (int slot = 0; slot < slots; slot++)
            {
                int chunk = Math.Min(XenPage.Size, packet.Length - offset);
                int id = _transmitIds.Take(out uint reference);
                packet.Slice(offset, chunk).CopyTo(_grants.GetFrame(_transmitIds.FrameOf(id)));
                offset += chunk;
                TransmitRing.ProduceRequest(NetifEntries.TxRequest(
                    reference, slot < slots - 1 ? NetifTxFlags.MoreData : NetifTxFlags.None, (ushort)id, (ushort)(slot == 0 ? packet.Length : chunk)));
            }
        }

        PushTransmits();
        PacketsSent++;
        BytesSent += packet.Length;
        CompleteTransmitsIfDue();
        return true;
    }

    /// <summary>
    /// Claims a free transmit id for a one-slot packet the caller writes in place (the pipe's writer): <paramref name="frame"/>
    /// is its buffer frame (a page), granted as the mode says. Nothing is posted until <see cref="PostClaimedTransmit"/>;
    /// <paramref name="claimed"/> is how many ids the caller holds unposted already (each will need a ring slot). False when
    /// no id or slot is free yet: wait for the transmit direction and try again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool TryClaimTransmit(int claimed, out int id, out uint reference, out byte* frame)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_transmitIds.FreeCount < 1 + _transmitLowWater || TransmitRing.FreeRequests <= claimed)
        {
            CompleteTransmits();
            if (_transmitIds.FreeCount < 1 || TransmitRing.FreeRequests <= claimed)
            {
                id = -1;
                reference = 0;
                frame = null;
                return false;
            }
        }

        id = _transmitIds.Take(out reference);
        frame = (byte*)Unsafe.AsPointer(ref _grants.GetFrame(_transmitIds.FrameOf(id))[0]);
        return true;
    }

    /// <summary>Posts a claimed frame as a one-slot packet of <paramref name="length"/> bytes (1 to a page); <see cref="PushTransmits"/> publishes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void PostClaimedTransmit(int id, uint reference, int length)
    {
        TransmitRing.ProduceRequest(NetifEntries.TxRequest(reference, NetifTxFlags.None, (ushort)id, (ushort)length));
        PacketsSent++;
        BytesSent += length;
    }

    /// <summary>
    /// Publishes the posted packets (<c>RING_PUSH_REQUESTS_AND_CHECK_NOTIFY</c>) and notifies the back if it asked
    /// (<c>notify_remote_via_irq</c> only when it armed <c>req_event</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void PushTransmits()
    {
        if (TransmitRing.PushRequestsAndCheckNotify())
        {
            TransmitChannel.Notify();
        }
    }

    /// <summary>
    /// After a publish, takes the transmit answers once a batch of requests is outstanding (<see cref="_answerBatch"/>). The
    /// back has answered most of them by then, and the caller's next step is to wait for the peer (a round trip) or to send
    /// again (a stream): a few answers here keep that work out of the send that finds the ring full, which would take a
    /// whole ring of them (16 lines of answers and every id) between one packet and the next.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CompleteTransmitsIfDue()
    {
        if (TransmitRing.OutstandingRequests >= _answerBatch)
        {
            _ = CompleteTransmits();
        }
    }

    /// <summary>Gives back a claimed id that was never posted: its grant ends and it returns to the free list. Nothing once disposed.</summary>
    internal void ReturnClaimedTransmit(int id)
    {
        if (_disposed != 0)
        {
            return;
        }

        _transmitIds.Answered(id);
        _ = _transmitIds.Reclaim(_flush, TransmitChannel, OtherChannel);
    }

    /// <summary>
    /// Takes every transmit response waiting and returns the ids whose grants ended to the free list; requests a flush in
    /// deferred-unmap mode when enough ids wait for one. <see cref="TrySend"/> calls it when it runs short. Returns how many
    /// ids came back: a sender that got 0 from this and false from <see cref="TrySend"/> should <see cref="Wait{TWait}"/>;
    /// more than 0 means <see cref="TrySend"/> may succeed now (in deferred-unmap mode ids come back with a flush, not
    /// with their responses).
    /// </summary>
    /// <exception cref="PvRingProtocolException">A response names an id that is not in flight; the queue is broken.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int CompleteTransmits()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        int count = TransmitRing.ConsumeResponses(_transmitResponses);
        for (int i = 0; i < count; i++)
        {
            NetifTxResponse response = _transmitResponses[i];
            int id = response.Id;
            if (!_transmitIds.IsInFlight(id))
            {
                ThrowBadResponse("transmit", id, TransmitRing.Size);
            }

            if (response.Status != NetifStatus.Okay)
            {
                TransmitErrors++;
            }

            _transmitIds.Answered(id);
        }

        return _transmitIds.Reclaim(_flush, TransmitChannel, OtherChannel);
    }

    /// <summary>
    /// Delivers every complete packet the back has written (at most <paramref name="maxPackets"/>) to
    /// <paramref name="handler"/>, in order, then posts the freed buffers back in batches. Returns how many packets were delivered.
    /// </summary>
    /// <exception cref="PvRingProtocolException">
    /// A response is malformed (an id not posted, a negative status, a size past its page, unknown flags, a chain longer
    /// than 18 slots or 65535 bytes, or a chain without <c>feature-sg</c>): nothing of that packet is delivered; the queue is broken.
    /// </exception>
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
        if (_receiveStaged == 0 && _flush is null && TryReceiveOneSlot(destination, out length, out bool handled))
        {
            return handled;
        }

        return TryReceiveStaged(destination, out length);
    }

    /// <summary>
    /// <see cref="TryReceive"/>'s general path (staged responses, chains, deferred unmap), out of line: its copier's locals
    /// would otherwise be zeroed on every call of the one-slot path.
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
    /// Takes the next packet without copying it if it is complete and in one slot: <paramref name="segment"/> is the receive
    /// buffer itself, which stays out of the ring (not posted again) until <see cref="ReleaseTaken"/> gives
    /// <paramref name="id"/> back; no further answer for that id is accepted meanwhile. False with <paramref name="length"/>
    /// 0: nothing complete waits; with a larger length: the next packet spans several slots (take it with
    /// <see cref="TryReceive"/>) and stays queued.
    /// </summary>
    /// <exception cref="PvRingProtocolException">The back's slots are malformed; nothing of that packet is delivered; the queue is broken.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool TryTake(out PacketSegment segment, out int id, out int length)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        segment = default;
        id = -1;
        length = 0;
        _ = _receiveIds.Reclaim(_flush, TransmitChannel, OtherChannel);
        PostBuffers();
        // A taken packet shifts the staging down by one: stage a window (more than a chain's slots) rather than the whole ring.
        _receiveStaged += StageResponses(_receiveResponses.AsSpan(_receiveStaged, Math.Max(0, Math.Min(_receiveResponses.Length, NetPacketLimits.TakeWindow) - _receiveStaged)));
        if (_receiveStaged == 0)
        {
            return false;
        }

        int slots = ParseReceiveChain(0, out length);
        if (slots != 1)
        {
            length = slots == 0 ? 0 : length; // incomplete: nothing yet; several slots: the caller copies it
            return false;
        }

        id = _receiveResponses[0].Id;
        segment = _segments[0];
        _receiveIds.Hold(id);
        _receiveResponses.AsSpan(1, _receiveStaged - 1).CopyTo(_receiveResponses);
        _receiveStaged--;
        PacketsReceived++;
        BytesReceived += length;
        return true;
    }

    /// <summary>Gives back the buffer of a packet <see cref="TryTake"/> lent: it is reclaimed and posted again. Nothing once disposed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void ReleaseTaken(int id)
    {
        if (_disposed != 0)
        {
            return;
        }

        _receiveIds.Answered(id);
        _ = _receiveIds.Reclaim(_flush, TransmitChannel, OtherChannel);
        PostBuffers();
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
    /// The fast path of <see cref="TryReceive"/> for the common packet, one slot, when nothing is staged and no flush
    /// governs the buffers: one response copied out and checked, one copy, no chain staging. False: the response begins a
    /// chain (it is staged; the general path takes it). True: <paramref name="received"/> and <paramref name="length"/>
    /// are <see cref="TryReceive"/>'s answer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReceiveOneSlot(Span<byte> destination, out int length, out bool received)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        RefillIfDue();
        length = 0;
        received = false;
        int waiting = ReceiveRing.UnconsumedResponses;
        if (waiting == 0)
        {
            return true; // nothing waits
        }

        // Buffers posted that the back has not filled yet (outstanding less those it has answered): taking one response
        // changes neither side of it, so it is read here, before the packet is delivered, and nothing after can throw.
        int unfilled = ReceiveRing.OutstandingRequests - waiting;

        uint index = ReceiveRing.ResponseConsumer;
        if (!_inline && Sse.IsSupported)
        {
            // The response names the buffer, so its line would follow the response's: start it now, on the posting order's
            // guess (apipingpong: 0.39 us without it, 0.36 us with it; where the CPU has no prefetch the JIT drops the branch).
            // With inline data the small packets are in the slot itself.
            int guess = _postedIdAt[(int)(index & (uint)(_postedIdAt.Length - 1))];
            Sse.Prefetch0(Unsafe.AsPointer(ref MemoryMarshal.GetReference(_grants.GetFrame(_receiveIds.FrameOf(guess)))));
        }

        _ = ReceiveRing.TryConsumeResponse(out NetifRxResponse response); // one waits: the count above saw its rsp_prod

        bool inline = (response.Flags & NetifRxFlags.Inline) != 0 && _inline;
        scoped ReadOnlySpan<byte> data;
        if (inline)
        {
            // Copy, then check: the size and id of the private copy decide; the bytes come from the slot once.
            if (!IsValidInline(response))
            {
                ThrowBadInline(response);
            }

            data = ReceiveRing.GetResponseSlotBytes(index).Slice(NetPacketLimits.InlineOffset, response.Status);
        }
        else
        {
            if ((response.Flags & NetifRxFlags.MoreData) != 0)
            {
                _receiveResponses[0] = response;
                _receiveStaged = 1;
                return false;
            }

            data = CheckReceiveSlot(response);
            if (data.Length == 0)
            {
                ThrowBadChain("the packet's length is 0");
            }
        }

        length = data.Length;
        if (length > destination.Length)
        {
            // It stays, whole, for a call that can take it (an inline one moved out of its slot first).
            _receiveResponses[0] = inline ? Uninline(response, index) : response;
            _receiveStaged = 1;
            return true;
        }

        data.CopyTo(destination);
        _receiveIds.Answered(response.Id);
        PacketsReceived++;
        BytesReceived += length;
        received = true;

        // The buffer goes back in the next receive, before it looks (RefillIfDue above), not between this packet and the
        // caller: unless the back may be short of buffers for its largest packet. Then they go back now, as before, so
        // that a caller that goes on to send does not leave a back that waits for buffers waiting longer than the batch
        // rule would.
        if (unfilled < _urgentRefill)
        {
            RefillIfDue();
        }

        return true;
    }

    /// <summary>
    /// Reclaims and posts receive buffers when a batch is free or the back runs low (what <see cref="PostBuffers"/> would
    /// do), without walking the free lists on every packet.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RefillIfDue()
    {
        if (RefillDue)
        {
            _ = _receiveIds.Reclaim(_flush, TransmitChannel, OtherChannel);
            PostBuffers();
        }
    }

    /// <summary>Whether <see cref="RefillIfDue"/> would post buffers now: a batch is free or the back runs low.</summary>
    private bool RefillDue
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _receiveIds.ReturnedCount + _receiveIds.FreeCount >= _refillBatch || ReceiveRing.OutstandingRequests < _refillBatch;
    }

    /// <summary>
    /// Whether answered receive buffers are work for a waiting receive: only when a receive would reclaim them now (the
    /// general path always does; the one-slot path when a refill is due). Otherwise a wait would find "work" that no
    /// receive takes, and poll it forever.
    /// </summary>
    private bool ReceiveReclaimDue => _receiveIds.CanReclaim(_flush) && (_flush is not null || RefillDue);

    // Delivers at most maxPackets complete packets; stops before one longer than maxLength and reports its length.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ReceiveCore<THandler>(ref THandler handler, int maxPackets, int maxLength, out int blockedLength)
        where THandler : struct, INetPacketHandler, allows ref struct
    {
        blockedLength = 0;
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        _ = _receiveIds.Reclaim(_flush, TransmitChannel, OtherChannel);
        PostBuffers();
        _receiveStaged += StageResponses(_receiveResponses.AsSpan(_receiveStaged));
        int start = 0;
        int delivered = 0;
        while (start < _receiveStaged && delivered < maxPackets)
        {
            int slots = ParseReceiveChain(start, out int length);
            if (slots == 0)
            {
                break; // the chain's last slot has not arrived yet
            }

            if (length > maxLength)
            {
                blockedLength = length; // it stays staged, whole, for a call that can take it
                break;
            }

            handler.OnPacket(new NetPacket(_segments.AsSpan(0, slots), length));
            for (int i = 0; i < slots; i++)
            {
                _receiveIds.Answered(_receiveResponses[start + i].Id);
            }

            start += slots;
            delivered++;
            PacketsReceived++;
            BytesReceived += length;
        }

        if (start > 0)
        {
            _receiveResponses.AsSpan(start, _receiveStaged - start).CopyTo(_receiveResponses);
            _receiveStaged -= start;
            _ = _receiveIds.Reclaim(_flush, TransmitChannel, OtherChannel);
            PostBuffers();
        }

        return delivered;
    }

    /// <summary>
    /// Waits until a ring of <paramref name="directions"/> has work (transmit responses or receive packets), polling as
    /// <paramref name="strategy"/> says, then sleeping on their event channel. Both directions can be waited on together only
    /// when they share one channel (no split event channels): otherwise run one pump per direction.
    /// </summary>
    /// <exception cref="ArgumentException">The directions are on two channels, or none is given.</exception>
    /// <exception cref="PeerGoneException">The back end's process is gone.</exception>
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
    /// <remarks>Both rings and the grants are this domain's arena and table: one ring's check covers them.</remarks>
    void INetQueueWork.CheckIntact()
    {
        TransmitRing.CheckIntact();
        _flush?.CheckIntact(); // the front's own flush page, which the back may truncate as it may the others
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    bool INetQueueWork.HasWork(NetDirections directions) =>
        ((directions & NetDirections.Transmit) != 0 && (TransmitRing.UnconsumedResponses > 0 || _transmitIds.CanReclaim(_flush)))
        || ((directions & NetDirections.Receive) != 0 && (ReceiveRing.UnconsumedResponses > 0 || ReceiveReclaimDue));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    bool INetQueueWork.ArmAndCheck(NetDirections directions)
    {
        bool work = false;
        if ((directions & NetDirections.Transmit) != 0)
        {
            work |= TransmitRing.FinalCheckForResponses() || _transmitIds.CanReclaim(_flush);
        }

        if ((directions & NetDirections.Receive) != 0)
        {
            work |= ReceiveRing.FinalCheckForResponses() || ReceiveReclaimDue;
        }

        return work;
    }

    /// <summary>
    /// Ends the grants the back no longer holds and releases the rings and channels (the back must have unmapped;
    /// <see cref="NetFrontend.DisposeAsync"/> closes the device first).
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _transmitIds.EndAll();
        _receiveIds.EndAll();
        if (ReceiveChannel != TransmitChannel)
        {
            ReceiveChannel.Dispose();
        }

        TransmitChannel.Dispose();
        ReceiveRing.Dispose();
        TransmitRing.Dispose();
        _receiveGrant.Dispose();
        _transmitGrant.Dispose();
        _flush?.Dispose();
        _grantCounters.Dispose();
    }

    /// <summary>
    /// Grants the rings, allocates the channel(s) and the buffers' persistent grants (and queue <paramref name="index"/>'s
    /// flush page in deferred unmap), and adds the queue's keys under its prefix (<see cref="NetifKeys.QueuePrefix"/>). The
    /// buffers' grants are counted as <paramref name="device"/>'s queue <paramref name="index"/> (the "PvRing.Grants" meter).
    /// </summary>
    internal static NetFrontQueue Create(
        GrantDomain grants, EventDomain events, int back, NetDeviceFeatures agreed, uint firstFrame, int index, IDictionary<string, string> keys, string device)
    {
        string prefix = NetifKeys.QueuePrefix(index, agreed.Queues);
        GrantedRing? transmitGrant = null;
        GrantedRing? receiveGrant = null;
        EventChannel? transmitChannel = null;
        EventChannel? receiveChannel = null;
        DeferredUnmapFrontend? flush = null;
        var grantCounters = new GrantUserCounters(grants, device, index);
        try
        {
            int order = agreed.RingPageOrder;
            transmitGrant = GrantedRing.Grant(grants, back, firstFrame, order);
            receiveGrant = GrantedRing.Grant(grants, back, firstFrame + (1u << order), order);
            transmitChannel = events.AllocateUnbound(back);
            receiveChannel = agreed.SplitEventChannels ? events.AllocateUnbound(back) : null;
            if (agreed.GrantModes == NetGrantModes.DeferredUnmap)
            {
                flush = DeferredUnmapFrontend.Create(grants.Host, grants.DomainId, back, index);
            }

            var queue = new NetFrontQueue(grants, grantCounters, back, agreed, firstFrame, transmitGrant, receiveGrant, transmitChannel, receiveChannel, flush);
            queue.PostBuffers();
            Bus.XenBusRingKeys.AddRingReferences(keys, prefix + NetifKeys.TransmitPrefix, transmitGrant.References);
            Bus.XenBusRingKeys.AddRingReferences(keys, prefix + NetifKeys.ReceivePrefix, receiveGrant.References);
            if (receiveChannel is null)
            {
                keys[prefix + Bus.XenBusRingKeys.EventChannel] = Number(transmitChannel.Port);
            }
            else
            {
                keys[prefix + NetifKeys.TransmitEventChannel] = Number(transmitChannel.Port);
                keys[prefix + NetifKeys.ReceiveEventChannel] = Number(receiveChannel.Port);
            }

            return queue;
        }
        catch
        {
            flush?.Dispose();
            receiveChannel?.Dispose();
            transmitChannel?.Dispose();
            receiveGrant?.Dispose();
            transmitGrant?.Dispose();
            grantCounters.Dispose();
            throw;
        }
    }

    private static string Number(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadPacketLength(int length) =>
        throw new ArgumentException($"A packet is 1 to the agreed maximum bytes (65535 with feature-sg, 4096 without); this one has {length}.", "packet");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadResponse(string ring, int id, int size) =>
        throw new PvRingProtocolException($"The back end answered {ring} id={id}, which is not in flight (ring size={size}).");

    /// <summary>The receive channel when it is not the transmit one (split event channels), for notifying both.</summary>
    private EventChannel? OtherChannel => ReceiveChannel == TransmitChannel ? null : ReceiveChannel;

    /// <summary>
    /// Posts the free receive buffers in a batch once a batch is free, or at once when the back is running low (fewer
    /// than a batch posted): a front that sat on a few free buffers while the back had none would stall both.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PostBuffers()
    {
        int free = _receiveIds.FreeCount;
        if (free == 0 || ReceiveRing.FreeRequests == 0 || (free < _refillBatch && ReceiveRing.OutstandingRequests >= _refillBatch))
        {
            return;
        }

        int count = Math.Min(free, ReceiveRing.FreeRequests);
        for (int i = 0; i < count; i++)
        {
            int id = _receiveIds.Take(out uint reference);
            _postedIdAt[(int)(ReceiveRing.RequestProducerPrivate & (uint)(_postedIdAt.Length - 1))] = (ushort)id;
            ReceiveRing.ProduceRequest(NetifEntries.RxRequest((ushort)id, reference));
        }

        if (ReceiveRing.PushRequestsAndCheckNotify())
        {
            ReceiveChannel.Notify();
        }
    }

    /// <summary>Checks the chain starting at staged response <paramref name="start"/>; returns its slots, or 0 if it is not complete yet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ParseReceiveChain(int start, out int length)
    {
        length = 0;
        for (int slot = 0; ; slot++)
        {
            if (start + slot >= _receiveStaged)
            {
                if (slot >= NetPacketLimits.MaxSlots)
                {
                    ThrowBadChain($"the chain is longer than {NetPacketLimits.MaxSlots} slots");
                }

                return 0;
            }

            NetifRxResponse response = _receiveResponses[start + slot];
            Span<byte> data = CheckReceiveSlot(response);
            if (slot >= NetPacketLimits.MaxSlots)
            {
                ThrowBadChain($"the chain is longer than {NetPacketLimits.MaxSlots} slots");
            }

            // Each id is still in flight until the whole chain is answered: one named twice would be answered twice, and
            // its grant reference freed twice (the free list would then hand it out again and again).
            for (int earlier = 0; earlier < slot; earlier++)
            {
                if (_receiveResponses[start + earlier].Id == response.Id)
                {
                    ThrowBadChain($"slots {earlier} and {slot} name the same buffer, id={response.Id}");
                }
            }

            length += data.Length;
            _segments[slot] = new PacketSegment { Address = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(data)), Length = data.Length };
            if ((response.Flags & NetifRxFlags.MoreData) == 0)
            {
                if (length == 0 || length > NetPacketLimits.MaxPacketSize)
                {
                    ThrowBadChain($"the packet's length is {length}");
                }

                return slot + 1;
            }

            if (!_scatterGather)
            {
                ThrowBadChain("NETRXF_more_data without feature-sg");
            }
        }
    }

    /// <summary>
    /// Copies waiting responses out of the receive ring into <paramref name="destination"/> (<c>RING_COPY_RESPONSE</c>) and,
    /// with inline data, moves each inline packet out of its slot into its posted buffer at once (before a refill can
    /// reuse the slot), so the chain parser and the zero-copy take see an ordinary one-slot response.
    /// </summary>
    private int StageResponses(Span<NetifRxResponse> destination)
    {
        uint first = ReceiveRing.ResponseConsumer;
        int count = ReceiveRing.ConsumeResponses(destination);
        if (_inline)
        {
            for (int i = 0; i < count; i++)
            {
                // A malformed one keeps its flag, which the chain parser refuses when it reaches it (after the packets before it).
                if ((destination[i].Flags & NetifRxFlags.Inline) != 0 && IsValidInline(destination[i]))
                {
                    destination[i] = Uninline(destination[i], first + (uint)i);
                }
            }
        }

        return count;
    }

    /// <summary>
    /// Whether an inline response (a private copy) is well formed: its id was posted, its size is 1 to
    /// <see cref="NetPacketLimits.MaxInlineSize"/>, its offset 0, and no flag but the checksum ones goes with it (an inline
    /// packet is whole: no more-data).
    /// </summary>
    private bool IsValidInline(in NetifRxResponse response) =>
        _receiveIds.IsInFlight(response.Id) && response.Status is >= 1 and <= NetPacketLimits.MaxInlineSize && response.Offset == 0
        && (response.Flags & ~(NetifRxFlags.Inline | NetifRxFlags.DataValidated | NetifRxFlags.ChecksumBlank)) == 0;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBadInline(in NetifRxResponse response)
    {
        if (!_receiveIds.IsInFlight(response.Id))
        {
            ThrowBadResponse("receive", response.Id, ReceiveRing.Size);
        }

        ThrowBadChain($"an inline slot id={response.Id} status={response.Status} offset={response.Offset} flags=0x{(ushort)response.Flags:x} (inline holds 1..{NetPacketLimits.MaxInlineSize} bytes, whole)");
    }

    /// <summary>Copies a checked inline packet from ring slot <paramref name="index"/> into its posted buffer; returns the response as an ordinary one.</summary>
    private NetifRxResponse Uninline(NetifRxResponse response, uint index)
    {
        ReceiveRing.GetResponseSlotBytes(index).Slice(NetPacketLimits.InlineOffset, response.Status).CopyTo(_grants.GetFrame(_receiveIds.FrameOf(response.Id)));
        response.Flags &= ~NetifRxFlags.Inline;
        return response;
    }

    /// <summary>
    /// Checks one receive response (a private copy) on its own: its id was posted, its status is a byte count, its flags
    /// are known and its bytes lie within the buffer's page. Returns those bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> CheckReceiveSlot(in NetifRxResponse response)
    {
        int id = response.Id;
        if (!_receiveIds.IsInFlight(id))
        {
            ThrowBadResponse("receive", id, ReceiveRing.Size);
        }

        if (response.Status < 0 || (response.Flags & ~KnownRxFlags) != 0 || response.Offset + response.Status > XenPage.Size)
        {
            ThrowBadSlot(response);
        }

        return _grants.GetFrame(_receiveIds.FrameOf(id)).Slice(response.Offset, response.Status);
    }

    // Out of line, with its message formatted there: a message built at the call site would put its interpolation handler
    // (and the zeroing of its locals) into the hot methods this check is inlined into.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadSlot(NetifRxResponse response) =>
        ThrowBadChain($"id={response.Id} status={response.Status} offset={response.Offset} flags=0x{(ushort)response.Flags:x}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadChain(string what) => throw new PvRingProtocolException($"The back end sent a malformed receive chain: {what}.");
}
