// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Transport;

namespace PvRing.Harness;

/// <summary>
/// The <c>netif</c> case of <c>apipingpong</c>: the api case's data flow on bare rings, with nothing of the library above
/// them. The same two rings the connection negotiates by default (order 2, split indexes, aligned slots, split rings,
/// <c>feature-inline-data</c>'s 128-byte slots), one event channel, spin-then-block waits as the ring case. One round trip:
/// the front writes 64 bytes inline in a transmit request and publishes it; the back copies them out, answers the request
/// and writes them inline in a receive response to a buffer the front posted; the front copies them out. The front takes
/// transmit answers when it runs short and posts receive buffers in batches, as <see cref="NetFrontQueue"/> does. No ids,
/// grants, checks of a hostile peer, queues or tasks (the entries are built as the queues build them, with
/// <see cref="NetifEntries"/>): the protocol's own cost, so that api/netif is what the library adds and netif/ring what
/// the split-driver protocol costs over one bare request/response ring.
/// <para>
/// The inline slots carry the rings' own stamps (<see cref="RingVariantLayout.InlineStampOffset"/>), as the connection's: each
/// end waits on the next slot's line, not the index's. Two what-if variants measure protocol changes the library does not
/// make (<see cref="NetifVariant"/>): <c>unfenced</c>, where the back publishes
/// its transmit answers with a release store only (<c>RING_PUSH_RESPONSES</c>, no full fence and no check of the front's
/// event index). Unfenced answers are not a protocol a library may use: a front that goes to sleep for answers at that
/// moment misses its wakeup. They are here only to say what the per-answer fence costs. And <c>deferred</c>, where the back
/// publishes each transmit answer after the echo's receive response instead of before it, so that the answer's fence (which
/// waits for the lines it wrote) falls while the front works; the connection's back does not do this, because a back that
/// takes a packet and then leaves the connection alone must still free the front's slot at once (the test
/// <c>SendAsync_WaitingOnAFullRing_CompletesWhenTheBackTakesOnePacketAndGoesIdle</c>).
/// Variants combine: <c>netif-unfenced-deferred</c>. With <c>--ring-features none</c> the rings have the classic layout (no
/// split indexes or split rings; inline slots still), as the api case's.
/// </para>
/// </summary>
internal static class NetifFloor
{
    private const int Size = 64;
    private const int RefillBatch = 16; // the connection's front: min(64, receive ring / 4)
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The agreed features of a connection with <paramref name="ringFeatures"/> (the default: every one), whose two ring
    /// variants this case uses.
    /// </summary>
    private static NetDeviceFeatures Features(RingFeatures ringFeatures) =>
        new(ringFeatures, NetDeviceFeatures.MinInlineRingPageOrder, SplitEventChannels: false, InlineData: true);

    /// <summary>The front's end: creates both rings and posts every receive buffer; the peer attaches with <see cref="Serve"/>.</summary>
    internal sealed class Front : IDisposable
    {
        private readonly FrontRing<NetifTxRequest, NetifTxResponse> _transmit;
        private readonly FrontRing<NetifRxRequest, NetifRxResponse> _receive;
        private readonly EventChannel _channel;
        private readonly NetifTxResponse[] _answers;
        private readonly byte[] _packet = new byte[Size];
        private readonly byte[] _echo = new byte[Size];
        private readonly NetifVariant _variant;

        public Front(HostDirectory host, string name, EventChannel channel, NetifVariant variant, RingFeatures ringFeatures)
        {
            _channel = channel;
            _variant = variant;
            _transmit = RingFile.Create<NetifTxRequest, NetifTxResponse>(host, name + "-tx", Features(ringFeatures).TransmitVariant);
            _receive = RingFile.Create<NetifRxRequest, NetifRxResponse>(host, name + "-rx", Features(ringFeatures).ReceiveVariant);
            _transmit.Notifier = channel;
            _receive.Notifier = channel;
            _answers = new NetifTxResponse[_transmit.Size];
            Post();
        }

        /// <summary>One round trip of <paramref name="sequence"/> (in the packet's first 8 bytes), checked when it comes back.</summary>
        public void RoundTrip(ulong sequence)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_packet, sequence);
            uint slot = _transmit.RequestProducerPrivate;
            _packet.CopyTo(_transmit.GetRequestSlotBytes(slot)[NetPacketLimits.InlineOffset..]);
            _transmit.ProduceRequest(NetifEntries.TxRequest(0, NetifTxFlags.Inline, (ushort)(slot & (uint)(_transmit.Size - 1)), Size));

            if (_transmit.PushRequestsAndCheckNotify())
            {
                _channel.Notify();
            }

            // Housekeeping while the back works, as the connection's front: answers once a quarter of the ring is
            // outstanding, buffers once a batch is free.
            if (_transmit.OutstandingRequests >= _transmit.Size / 4)
            {
                _ = _transmit.ConsumeResponses(_answers);
            }

            if (_receive.FreeRequests >= RefillBatch)
            {
                Post();
            }

            uint index = _receive.ResponseConsumer;
            NetifRxResponse response;
            while (!_receive.TryConsumeResponse(out response))
            {
                if (_receive.WaitForResponses(_channel, new SpinThenBlockWait(), s_limit, CancellationToken.None) != EventWaitResult.Signaled)
                {
                    throw new InvalidOperationException($"Round trip {sequence}: the netif peer did not answer.");
                }
            }

            _receive.GetResponseSlotBytes(index).Slice(NetPacketLimits.InlineOffset, Size).CopyTo(_echo);
            if (response.Status != Size || BinaryPrimitives.ReadUInt64LittleEndian(_echo) != sequence)
            {
                throw new InvalidOperationException($"Round trip {sequence} came back as {response.Status} bytes starting {BinaryPrimitives.ReadUInt64LittleEndian(_echo)}.");
            }
        }

        public void Dispose()
        {
            _transmit.Dispose();
            _receive.Dispose();
        }

        private void Post()
        {
            for (int i = _receive.FreeRequests; i > 0; i--)
            {
                _receive.ProduceRequest(NetifEntries.RxRequest((ushort)(_receive.RequestProducerPrivate & (uint)(_receive.Size - 1)), 0));
            }

            if (_receive.PushRequestsAndCheckNotify())
            {
                _channel.Notify();
            }
        }
    }

    /// <summary>
    /// The back's end, in the peer: attaches to <paramref name="name"/>'s rings and echoes every packet as described above
    /// until the front closes the channel. Returns the exit code.
    /// </summary>
    internal static int Serve(HostDirectory host, string name, EventChannel channel, NetifVariant variant, RingFeatures ringFeatures)
    {
        using BackRing<NetifTxRequest, NetifTxResponse> transmit = RingFile.Attach<NetifTxRequest, NetifTxResponse>(host, name + "-tx", Features(ringFeatures).TransmitVariant);
        using BackRing<NetifRxRequest, NetifRxResponse> receive = RingFile.Attach<NetifRxRequest, NetifRxResponse>(host, name + "-rx", Features(ringFeatures).ReceiveVariant);
        transmit.Notifier = channel;
        receive.Notifier = channel;
        var buffers = new NetifRxRequest[receive.Size];
        int start = 0;
        int count = 0;
        var packet = new byte[NetPacketLimits.MaxInlineSize];
        while (true)
        {
            uint index = transmit.RequestConsumer;
            NetifTxRequest request;
            while (!transmit.TryConsumeRequest(out request))
            {
                if (transmit.WaitForRequests(channel, new SpinThenBlockWait(), s_limit, CancellationToken.None) != EventWaitResult.Signaled)
                {
                    return 0; // the front closed the channel
                }
            }

            int length = Math.Min((int)request.Size, packet.Length);
            transmit.GetRequestSlotBytes(index).Slice(NetPacketLimits.InlineOffset, length).CopyTo(packet);
            transmit.ProduceResponse(NetifEntries.TxResponse(request.Id, NetifStatus.Okay));
            if ((variant & NetifVariant.Deferred) == 0)
            {
                Answer(transmit, channel, variant);
            }

            while (count == 0)
            {
                start = 0;
                count = receive.ConsumeRequests(buffers);
                if (count == 0 && receive.WaitForRequests(channel, new SpinThenBlockWait(), s_limit, CancellationToken.None) != EventWaitResult.Signaled)
                {
                    return 0;
                }
            }

            NetifRxRequest buffer = buffers[start++];
            count--;
            packet.AsSpan(0, length).CopyTo(receive.GetResponseSlotBytes(receive.ResponseProducerPrivate)[NetPacketLimits.InlineOffset..]);
            receive.ProduceResponse(NetifEntries.RxResponse(buffer.Id, NetifRxFlags.Inline, (short)length));

            if (receive.PushResponsesAndCheckNotify())
            {
                channel.Notify();
            }

            if ((variant & NetifVariant.Deferred) != 0)
            {
                Answer(transmit, channel, variant);
            }

            if (count < NetPacketLimits.MaxSlots)
            {
                // Stage the buffers posted since while the front works, as the connection's back.
                buffers.AsSpan(start, count).CopyTo(buffers);
                start = 0;
                count += receive.ConsumeRequests(buffers.AsSpan(count));
            }
        }
    }

    private static void Answer(BackRing<NetifTxRequest, NetifTxResponse> transmit, EventChannel channel, NetifVariant variant)
    {
        if ((variant & NetifVariant.Unfenced) != 0)
        {
            transmit.PushResponses(); // what-if only: see the class remarks
        }
        else if (transmit.PushResponsesAndCheckNotify())
        {
            channel.Notify();
        }
    }
}

/// <summary>The what-if variants of <see cref="NetifFloor"/>: protocol changes the library does not make, measured.</summary>
[Flags]
internal enum NetifVariant
{
    /// <summary>The netif protocol as the connection runs it.</summary>
    None = 0,

    /// <summary>The back publishes transmit answers without the full fence and the check of the front's event index (unsafe).</summary>
    Unfenced = 2,

    /// <summary>The back publishes each transmit answer after the echo's receive response, not before it (a fence off the round trip's path).</summary>
    Deferred = 4,
}
