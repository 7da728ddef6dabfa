// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
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
    private const byte Free = 0;
    private const byte InFlight = 1;
    private const byte Returned = 2;
    private const NetifRxFlags KnownRxFlags = NetifRxFlags.DataValidated | NetifRxFlags.ChecksumBlank | NetifRxFlags.MoreData;

    private readonly GrantDomain _grants;
    private readonly ushort _back;
    private readonly NetGrantModes _mode;
    private readonly bool _scatterGather;
    private readonly GrantedRing _transmitGrant;
    private readonly GrantedRing _receiveGrant;
    private readonly DeferredUnmapFrontend? _flush;

    // Transmit: ids, their frames and references, the staging of consumed responses.
    private readonly uint _transmitFirstFrame;
    private readonly uint[] _transmitReferences;
    private readonly byte[] _transmitState;
    private readonly int[] _transmitFree;
    private int _transmitFreeCount;
    private readonly int[] _transmitReturned;
    private int _transmitReturnedCount;
    private readonly NetifTxResponse[] _transmitResponses;

    // Receive: ids, frames, references, the unposted free list, consumed responses (an incomplete chain stays staged).
    private readonly uint _receiveFirstFrame;
    private readonly uint[] _receiveReferences;
    private readonly byte[] _receiveState;
    private readonly int[] _receiveFree;
    private int _receiveFreeCount;
    private readonly int[] _receiveReturned;
    private int _receiveReturnedCount;
    private readonly NetifRxResponse[] _receiveResponses;
    private int _receiveStaged;
    private readonly PacketSegment[] _segments = new PacketSegment[NetPacketLimits.MaxSlots];
    private readonly int _refillBatch;

    private uint _flushEpoch;
    private bool _flushOutstanding;
    private int _disposed;

    private NetFrontQueue(
        GrantDomain grants, ushort back, NetDeviceFeatures agreed, uint firstFrame, GrantedRing transmitGrant, GrantedRing receiveGrant,
        EventChannel transmitChannel, EventChannel? receiveChannel, DeferredUnmapFrontend? flush)
    {
        _grants = grants;
        _back = back;
        _mode = agreed.GrantModes;
        _scatterGather = agreed.ScatterGather;
        _transmitGrant = transmitGrant;
        _receiveGrant = receiveGrant;
        _flush = flush;
        Features = agreed;
        TransmitRing = transmitGrant.Initialize<NetifTxRequest, NetifTxResponse>(agreed.Variant);
        ReceiveRing = receiveGrant.Initialize<NetifRxRequest, NetifRxResponse>(agreed.Variant);
        TransmitChannel = transmitChannel;
        ReceiveChannel = receiveChannel ?? transmitChannel;
        TransmitRing.Notifier = TransmitChannel;
        ReceiveRing.Notifier = ReceiveChannel;

        int order = agreed.RingPageOrder;
        int transmitSize = TransmitRing.Size;
        int receiveSize = ReceiveRing.Size;
        _transmitFirstFrame = firstFrame + (2u << order);
        _receiveFirstFrame = _transmitFirstFrame + (uint)transmitSize;
        _transmitReferences = new uint[transmitSize];
        _transmitState = new byte[transmitSize];
        _transmitFree = new int[transmitSize];
        _transmitReturned = new int[transmitSize];
        _transmitResponses = new NetifTxResponse[transmitSize];
        _receiveReferences = new uint[receiveSize];
        _receiveState = new byte[receiveSize];
        _receiveFree = new int[receiveSize];
        _receiveReturned = new int[receiveSize];
        _receiveResponses = new NetifRxResponse[receiveSize];
        _refillBatch = Math.Max(1, Math.Min(64, receiveSize / 4));
        for (int id = transmitSize - 1; id >= 0; id--)
        {
            _transmitFree[_transmitFreeCount++] = id;
        }

        for (int id = receiveSize - 1; id >= 0; id--)
        {
            _receiveFree[_receiveFreeCount++] = id;
        }
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
    public long FlushesRequested { get; private set; }

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
    /// <exception cref="PvRingProtocolException">The back answered with an id it was not given; the queue is broken.</exception>
    public bool TrySend(ReadOnlySpan<byte> packet)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (packet.Length == 0 || packet.Length > Features.MaxPacketSize)
        {
            ThrowBadPacketLength(packet.Length);
        }

        int slots = NetPacketLimits.SlotsFor(packet.Length);
        if (_transmitFreeCount < slots || TransmitRing.FreeRequests < slots)
        {
            CompleteTransmits();
            if (_transmitFreeCount < slots || TransmitRing.FreeRequests < slots)
            {
                return false;
            }
        }

        int offset = 0;
        for (int slot = 0; slot < slots; slot++)
        {
            int id = _transmitFree[--_transmitFreeCount];
            uint frame = _transmitFirstFrame + (uint)id;
            int chunk = Math.Min(XenPage.Size, packet.Length - offset);
            packet.Slice(offset, chunk).CopyTo(_grants.GetFrame(frame));
            offset += chunk;
            _transmitState[id] = InFlight;
            var request = new NetifTxRequest
            {
                GrantRef = ReferenceFor(_transmitReferences, id, frame, readOnly: true),
                Offset = 0,
                Flags = slot < slots - 1 ? NetifTxFlags.MoreData : NetifTxFlags.None,
                Id = (ushort)id,
                Size = (ushort)(slot == 0 ? packet.Length : chunk),
            };
            TransmitRing.ProduceRequest(in request);
        }

        // RING_PUSH_REQUESTS_AND_CHECK_NOTIFY: notifies through the ring's notifier only if the back armed req_event.
        TransmitRing.PushRequestsAndCheckNotify();
        PacketsSent++;
        BytesSent += packet.Length;
        return true;
    }

    /// <summary>
    /// Takes every transmit response waiting and returns the ids (their grants ended) to the free list; requests a flush
    /// in deferred-unmap mode when enough ids wait for one. <see cref="TrySend"/> calls it when it runs short.
    /// Returns how many responses were taken.
    /// </summary>
    /// <exception cref="PvRingProtocolException">A response names an id that is not in flight; the queue is broken.</exception>
    public int CompleteTransmits()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        int count = TransmitRing.ConsumeResponses(_transmitResponses);
        for (int i = 0; i < count; i++)
        {
            NetifTxResponse response = _transmitResponses[i];
            int id = response.Id;
            if (id >= _transmitState.Length || _transmitState[id] != InFlight)
            {
                ThrowBadResponse("transmit", id, _transmitState.Length);
            }

            if (response.Status != NetifStatus.Okay)
            {
                TransmitErrors++;
            }

            _transmitState[id] = Returned;
            _transmitReturned[_transmitReturnedCount++] = id;
        }

        if (_transmitReturnedCount > 0)
        {
            Reclaim(_transmitReturned, ref _transmitReturnedCount, _transmitReferences, _transmitState, _transmitFree, ref _transmitFreeCount, NetPacketLimits.MaxSlots);
        }

        return count;
    }

    /// <summary>
    /// Delivers every complete packet the back has written (at most <paramref name="maxPackets"/>) to
    /// <paramref name="handler"/>, in order, then posts the freed buffers back in batches. Returns how many packets were delivered.
    /// </summary>
    /// <exception cref="PvRingProtocolException">
    /// A response is malformed (an id not posted, a negative status, a size past its page, unknown flags, a chain longer
    /// than 18 slots or 65535 bytes, or a chain without <c>feature-sg</c>): nothing of that packet is delivered; the queue is broken.
    /// </exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Receive<THandler>(ref THandler handler, int maxPackets = int.MaxValue)
        where THandler : struct, INetPacketHandler
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_receiveReturnedCount > 0)
        {
            Reclaim(_receiveReturned, ref _receiveReturnedCount, _receiveReferences, _receiveState, _receiveFree, ref _receiveFreeCount, _refillBatch);
        }

        PostBuffers(force: ReceiveRing.OutstandingRequests == 0);
        _receiveStaged += ReceiveRing.ConsumeResponses(_receiveResponses.AsSpan(_receiveStaged));
        int start = 0;
        int delivered = 0;
        while (start < _receiveStaged && delivered < maxPackets)
        {
            int slots = ParseReceiveChain(start, out int length);
            if (slots == 0)
            {
                break; // the chain's last slot has not arrived yet
            }

            handler.OnPacket(new NetPacket(_segments.AsSpan(0, slots), length));
            for (int i = 0; i < slots; i++)
            {
                int id = _receiveResponses[start + i].Id;
                _receiveState[id] = Returned;
                _receiveReturned[_receiveReturnedCount++] = id;
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
            Reclaim(_receiveReturned, ref _receiveReturnedCount, _receiveReferences, _receiveState, _receiveFree, ref _receiveFreeCount, _refillBatch);
            PostBuffers(force: false);
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
    public RingWaitResult Wait<TWait>(NetDirections directions, TWait strategy, TimeSpan timeout, CancellationToken cancellationToken = default)
        where TWait : struct, IWaitStrategy
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return NetQueueWaiter.Wait(this, directions, NetQueueWaiter.ChannelFor(directions, TransmitChannel, ReceiveChannel), strategy, timeout, cancellationToken);
    }

    /// <inheritdoc/>
    bool INetQueueWork.HasWork(NetDirections directions) =>
        ((directions & NetDirections.Transmit) != 0 && (TransmitRing.UnconsumedResponses > 0 || FlushDone(_transmitReturnedCount)))
        || ((directions & NetDirections.Receive) != 0 && (ReceiveRing.UnconsumedResponses > 0 || FlushDone(_receiveReturnedCount)));

    /// <inheritdoc/>
    bool INetQueueWork.ArmAndCheck(NetDirections directions)
    {
        bool work = false;
        if ((directions & NetDirections.Transmit) != 0)
        {
            work |= TransmitRing.FinalCheckForResponses() || FlushDone(_transmitReturnedCount);
        }

        if ((directions & NetDirections.Receive) != 0)
        {
            work |= ReceiveRing.FinalCheckForResponses() || FlushDone(_receiveReturnedCount);
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

        EndAll(_transmitReferences, _transmitState);
        EndAll(_receiveReferences, _receiveState);
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
    }

    /// <summary>Grants the rings, allocates the channel(s) and the buffers' persistent grants, and adds the queue's keys under <paramref name="prefix"/>.</summary>
    internal static NetFrontQueue Create(
        GrantDomain grants, EventDomain events, ushort back, NetDeviceFeatures agreed, uint firstFrame, string prefix, IDictionary<string, string> keys)
    {
        GrantedRing? transmitGrant = null;
        GrantedRing? receiveGrant = null;
        EventChannel? transmitChannel = null;
        EventChannel? receiveChannel = null;
        DeferredUnmapFrontend? flush = null;
        try
        {
            int order = agreed.RingPageOrder;
            transmitGrant = GrantedRing.Grant(grants, back, firstFrame, order);
            receiveGrant = GrantedRing.Grant(grants, back, firstFrame + (1u << order), order);
            transmitChannel = events.AllocateUnbound(back);
            receiveChannel = agreed.SplitEventChannels ? events.AllocateUnbound(back) : null;
            if (agreed.GrantModes == NetGrantModes.DeferredUnmap)
            {
                flush = DeferredUnmapFrontend.Create(grants.Host, grants.DomainId, back);
            }

            var queue = new NetFrontQueue(grants, back, agreed, firstFrame, transmitGrant, receiveGrant, transmitChannel, receiveChannel, flush);
            queue.GrantPersistentBuffers();
            queue.PostBuffers(force: true);
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

    private bool FlushDone(int returned) => returned > 0 && (_flush is null || (_flushOutstanding && _flush.IsFlushed(_flushEpoch)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint ReferenceFor(uint[] references, int id, uint frame, bool readOnly) => _mode switch
    {
        NetGrantModes.Persistent => references[id],
        NetGrantModes.DirectMap => frame,
        _ => references[id] = _grants.GrantAccess(_back, frame, readOnly),
    };

    /// <summary>
    /// Returns the ids whose grants can end now to the free list. A grant the back still holds (deferred unmap before its
    /// flush, or a misbehaving back) stays pending and is tried again later; in deferred mode a flush is requested when
    /// <paramref name="flushAt"/> ids wait or the free list is nearly empty.
    /// </summary>
    private void Reclaim(int[] returned, ref int returnedCount, uint[] references, byte[] state, int[] free, ref int freeCount, int flushAt)
    {
        if (_flush is not null)
        {
            if (_flushOutstanding && !_flush.IsFlushed(_flushEpoch))
            {
                return;
            }

            _flushOutstanding = false;
        }

        int kept = 0;
        for (int i = 0; i < returnedCount; i++)
        {
            int id = returned[i];
            if (_mode is NetGrantModes.Persistent or NetGrantModes.DirectMap || _grants.TryEndAccess(references[id]))
            {
                state[id] = Free;
                free[freeCount++] = id;
            }
            else
            {
                returned[kept++] = id;
            }
        }

        returnedCount = kept;
        if (_flush is not null && kept > 0 && (kept >= flushAt || freeCount < NetPacketLimits.MaxSlots))
        {
            // Every response for these ids was consumed before the request (RequestFlush is a full fence); the back unmaps
            // them all before it publishes the epoch. Then wake its service loop.
            _flushEpoch = _flush.RequestFlush();
            _flushOutstanding = true;
            FlushesRequested++;
            TransmitChannel.Notify();
            if (ReceiveChannel != TransmitChannel)
            {
                ReceiveChannel.Notify();
            }
        }
    }

    private void PostBuffers(bool force)
    {
        if (_receiveFreeCount == 0 || (!force && _receiveFreeCount < _refillBatch) || ReceiveRing.FreeRequests == 0)
        {
            return;
        }

        int count = Math.Min(_receiveFreeCount, ReceiveRing.FreeRequests);
        for (int i = 0; i < count; i++)
        {
            int id = _receiveFree[--_receiveFreeCount];
            _receiveState[id] = InFlight;
            var request = new NetifRxRequest { Id = (ushort)id, GrantRef = ReferenceFor(_receiveReferences, id, _receiveFirstFrame + (uint)id, readOnly: false) };
            ReceiveRing.ProduceRequest(in request);
        }

        ReceiveRing.PushRequestsAndCheckNotify();
    }

    /// <summary>Checks the chain starting at staged response <paramref name="start"/>; returns its slots, or 0 if it is not complete yet.</summary>
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
            int id = response.Id;
            if (id >= _receiveState.Length || _receiveState[id] != InFlight)
            {
                ThrowBadResponse("receive", id, _receiveState.Length);
            }

            if (response.Status < 0 || (response.Flags & ~KnownRxFlags) != 0 || response.Offset + response.Status > XenPage.Size)
            {
                ThrowBadChain($"id={id} status={response.Status} offset={response.Offset} flags=0x{(ushort)response.Flags:x}");
            }

            if (slot >= NetPacketLimits.MaxSlots)
            {
                ThrowBadChain($"the chain is longer than {NetPacketLimits.MaxSlots} slots");
            }

            length += response.Status;
            _segments[slot] = new PacketSegment
            {
                Address = (byte*)Unsafe.AsPointer(ref _grants.GetFrame(_receiveFirstFrame + (uint)id)[response.Offset]),
                Length = response.Status,
            };
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

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadChain(string what) => throw new PvRingProtocolException($"The back end sent a malformed receive chain: {what}.");

    private void GrantPersistentBuffers()
    {
        if (_mode != NetGrantModes.Persistent)
        {
            return;
        }

        // Persistent grants are writable both ways: the back's persistent mapper keeps one writable mapping per page.
        for (int id = 0; id < _transmitReferences.Length; id++)
        {
            _transmitReferences[id] = _grants.GrantAccess(_back, _transmitFirstFrame + (uint)id, readOnly: false);
        }

        for (int id = 0; id < _receiveReferences.Length; id++)
        {
            _receiveReferences[id] = _grants.GrantAccess(_back, _receiveFirstFrame + (uint)id, readOnly: false);
        }
    }

    /// <summary>Ends the grants this queue still holds: every persistent one, else those of ids not back on the free list.</summary>
    private void EndAll(uint[] references, byte[] state)
    {
        if (_mode == NetGrantModes.DirectMap)
        {
            return;
        }

        for (int id = 0; id < references.Length; id++)
        {
            if (references[id] != 0 && (_mode == NetGrantModes.Persistent || state[id] != Free))
            {
                // False while the back still maps it; the entry then stays until the domain goes.
                _ = _grants.TryEndAccess(references[id]);
            }
        }
    }
}
