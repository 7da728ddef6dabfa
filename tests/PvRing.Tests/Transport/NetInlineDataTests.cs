// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Transport;

namespace PvRing.Tests.Transport;

/// <summary>
/// <c>feature-inline-data</c>: packets of up to <see cref="NetPacketLimits.MaxInlineSize"/> bytes travel in their 128-byte
/// ring slot, both ways, through every receive path (the one-slot fast path, a buffer too small, the general path and the
/// zero-copy take) and in every grant mode; larger ones take pages as before; a hostile peer's inline slots are refused.
/// </summary>
public sealed class NetInlineDataTests
{
    private static readonly int[] s_sizes = [1, 2, 63, 64, 65, 111, 112, 113, 500, 4096, 5000, 1, 112];

    public static TheoryData<NetGrantModes> Modes() =>
        [NetGrantModes.Copy, NetGrantModes.Map, NetGrantModes.Persistent, NetGrantModes.DirectMap, NetGrantModes.DeferredUnmap];

    [Fact]
    public async Task Negotiation_InlineOnlyWhenBothEndsHaveIt()
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        NetDeviceFeatures wants = NetDeviceFeatures.All with { RingPageOrder = 2, GrantModes = NetGrantModes.Persistent };
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, wants);
        await using (front)
        await using (back)
        {
            Assert.True(front.Features.InlineData);
            Assert.True(back.Features.InlineData);
            Assert.Equal(RingSlotKind.InlineRequests, front.Features.TransmitVariant.SlotKind);
            Assert.Equal(RingSlotKind.InlineResponses, front.Features.ReceiveVariant.SlotKind);
            Assert.Contains("feature-inline-data=1", front.Features.ToString(), StringComparison.Ordinal);
        }

        // A back without the key (Xen's own), and rings of one or two pages (16 or 32 inline slots): off.
        await using NetDeviceTestBed old = await NetDeviceTestBed.CreateAsync();
        (front, back) = await old.ConnectBothAsync(NetDeviceFeatures.All with { InlineData = false }, wants);
        await using (front)
        await using (back)
        {
            Assert.False(front.Features.InlineData);
            Assert.False(back.Features.InlineData);
        }

        await using NetDeviceTestBed onePage = await NetDeviceTestBed.CreateAsync();
        (front, back) = await onePage.ConnectBothAsync(NetDeviceFeatures.All, wants with { RingPageOrder = NetDeviceFeatures.MinInlineRingPageOrder - 1 });
        await using (front)
        await using (back)
        {
            Assert.False(front.Features.InlineData);
            Assert.False(back.Features.InlineData);
            Assert.Equal(RingSlotKind.Network, front.Features.TransmitVariant.SlotKind);
            Assert.True(front.Queue.TrySend(new byte[64]));
            Assert.Equal(NetifTxFlags.None, front.Queue.TransmitRing.GetRequest(0).Flags);
            Assert.True(back.Queue.TryReceive(new byte[64], out int length));
            Assert.Equal(64, length);
        }
    }

    [Fact]
    public void Layout_SplitRingsPadOnlyTheInlineDirection_OneUnionArrayPadsEverySlot()
    {
        var split = new RingVariant(RingFeatures.All, 0, RingSlotKind.InlineRequests);
        Assert.Equal(128, RingVariantLayout.SlotStride<NetifTxRequest, NetifTxResponse>(split));
        Assert.Equal(16, RingVariantLayout.ResponseSlotStride<NetifTxRequest, NetifTxResponse>(split));

        var receive = new RingVariant(RingFeatures.All, 0, RingSlotKind.InlineResponses);
        Assert.Equal(16, RingVariantLayout.SlotStride<NetifRxRequest, NetifRxResponse>(receive));
        Assert.Equal(128, RingVariantLayout.ResponseSlotStride<NetifRxRequest, NetifRxResponse>(receive));

        Assert.Equal(64, RingVariantLayout.SlotCount<NetifTxRequest, NetifTxResponse>(new RingVariant(RingFeatures.All, 2, RingSlotKind.InlineRequests)));

        var union = new RingVariant(RingFeatures.AlignedSlots, 0, RingSlotKind.InlineRequests);
        Assert.Equal(128, RingVariantLayout.SlotStride<NetifTxRequest, NetifTxResponse>(union));
        Assert.Equal(128, RingVariantLayout.ResponseSlotStride<NetifTxRequest, NetifTxResponse>(union));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task SmallPacketsTravelInTheSlot_EveryReceivePath_BothWays(NetGrantModes mode)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, NetDeviceFeatures.All with { RingPageOrder = 2, GrantModes = mode });
        await using (front)
        await using (back)
        {
            Assert.True(front.Features.InlineData);
            var large = new byte[NetPacketLimits.MaxPacketSize];
            var small = new byte[40];
            int seed = 0;
            foreach (int size in s_sizes)
            {
                // Front to back. The slot says whether the packet went inline.
                byte[] packet = Pattern(size, ++seed);
                uint slot = front.Queue.TransmitRing.RequestProducerPrivate;
                Assert.True(front.Queue.TrySend(packet));
                bool inline = (front.Queue.TransmitRing.GetRequest(slot).Flags & NetifTxFlags.Inline) != 0;
                Assert.Equal(size <= NetPacketLimits.MaxInlineSize, inline);
                ExpectReceived(packet, back.Queue.TryReceive, small, large);

                // Back to front.
                packet = Pattern(size, ++seed);
                Assert.True(back.Queue.TrySend(packet));
                ExpectReceived(packet, front.Queue.TryReceive, small, large);
                _ = front.Queue.CompleteTransmits();
            }

            // The general path (a handler over several packets at once) and the zero-copy take, both ways.
            byte[][] packets = [.. s_sizes.Select(size => Pattern(size, ++seed))];
            foreach (byte[] packet in packets)
            {
                Assert.True(front.Queue.TrySend(packet));
            }

            var collector = new CollectingHandler();
            Assert.Equal(packets.Length, back.Queue.Receive(ref collector));
            Assert.Equal(packets, collector.Packets);

            foreach (byte[] packet in packets)
            {
                Assert.True(back.Queue.TrySend(packet));
            }

            collector = new CollectingHandler();
            Assert.Equal(packets.Length, front.Queue.Receive(ref collector));
            Assert.Equal(packets, collector.Packets);
            _ = front.Queue.CompleteTransmits();

            byte[] taken = Pattern(100, ++seed);
            Assert.True(front.Queue.TrySend(taken));
            Assert.True(back.Queue.TryTake(out PacketSegment segment, out var lease, out ushort id, out int length));
            Assert.Equal(taken, Bytes(segment));
            back.Queue.ReleaseTaken(ref lease, id);
            Assert.Equal(100, length);

            Assert.True(back.Queue.TrySend(taken));
            Assert.True(front.Queue.TryTake(out segment, out int frontId, out length));
            Assert.Equal(taken, Bytes(segment));
            front.Queue.ReleaseTaken(frontId);
            Assert.Equal(1 + (2 * s_sizes.Length), back.Queue.PacketsReceived);
            Assert.Equal(1 + (2 * s_sizes.Length), front.Queue.PacketsReceived);
        }
    }

    public enum HostileInline
    {
        SizeZero,
        SizeOverTheSlot,
        OffsetNotZero,
        WithMoreData,
        InsideAChain,
    }

    [Theory]
    [InlineData(HostileInline.SizeZero)]
    [InlineData(HostileInline.SizeOverTheSlot)]
    [InlineData(HostileInline.OffsetNotZero)]
    [InlineData(HostileInline.WithMoreData)]
    [InlineData(HostileInline.InsideAChain)]
    public async Task MalformedInlineRequest_BackRefusesAfterThePacketsBeforeIt(HostileInline hostile)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, NetDeviceFeatures.All with { RingPageOrder = 2, GrantModes = NetGrantModes.Persistent });
        await using (front)
        await using (back)
        {
            Assert.True(front.Features.InlineData);
            Assert.True(front.Queue.TrySend(new byte[64])); // a good inline packet first
            FrontRing<NetifTxRequest, NetifTxResponse> ring = front.Queue.TransmitRing;
            NetifTxRequest bad = hostile switch
            {
                HostileInline.SizeZero => new() { Flags = NetifTxFlags.Inline, Id = 200, Size = 0 },
                HostileInline.SizeOverTheSlot => new() { Flags = NetifTxFlags.Inline, Id = 200, Size = NetPacketLimits.MaxInlineSize + 1 },
                HostileInline.OffsetNotZero => new() { Flags = NetifTxFlags.Inline, Id = 200, Size = 10, Offset = 1 },
                HostileInline.WithMoreData => new() { Flags = NetifTxFlags.Inline | NetifTxFlags.MoreData, Id = 200, Size = 10 },
                _ => new() { Flags = NetifTxFlags.MoreData, Id = 201, Size = 20, GrantRef = 5000 },
            };
            ring.ProduceRequest(bad);
            if (hostile == HostileInline.InsideAChain)
            {
                ring.ProduceRequest(new NetifTxRequest { Flags = NetifTxFlags.Inline, Id = 202, Size = 10 });
            }

            ring.PushRequests();
            var collector = new CollectingHandler();
            var refused = Assert.Throws<PvRingProtocolException>(() => back.Queue.Receive(ref collector));
            Assert.Single(collector.Packets);
            Assert.Contains(hostile == HostileInline.InsideAChain ? "unknown or unnegotiated flags" : "an inline slot holds", refused.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task InlineFlagWithoutTheFeature_IsRefusedBothWays()
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        NetDeviceFeatures classic = NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = NetGrantModes.Copy, InlineData = false };
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(classic, classic);
        await using (front)
        await using (back)
        {
            front.Queue.TransmitRing.ProduceRequest(new NetifTxRequest { Flags = NetifTxFlags.Inline, Id = 200, Size = 10 });
            front.Queue.TransmitRing.PushRequests();
            Assert.Throws<PvRingProtocolException>(() => back.Queue.TryReceive(new byte[100], out _));

            var buffers = new NetifRxRequest[1];
            Assert.Equal(1, back.Queue.ReceiveRing.ConsumeRequests(buffers));
            back.Queue.ReceiveRing.ProduceResponse(new NetifRxResponse { Id = buffers[0].Id, Flags = NetifRxFlags.Inline, Status = 10 });
            back.Queue.ReceiveRing.PushResponses();
            var refused = Assert.Throws<PvRingProtocolException>(() => front.Queue.TryReceive(new byte[100], out _));
            Assert.Contains("flags=0x80", refused.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(false, (short)0, "status=0")]
    [InlineData(false, (short)113, "status=113")]
    [InlineData(true, (short)10, "not in flight")]
    public async Task MalformedInlineResponse_FrontRefuses_OnTheFastAndTheGeneralPath(bool wrongId, short status, string expected)
    {
        foreach (bool general in new[] { false, true })
        {
            await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
            (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, NetDeviceFeatures.All with { RingPageOrder = 2, GrantModes = NetGrantModes.Persistent });
            await using (front)
            await using (back)
            {
                Assert.True(front.Features.InlineData);
                var buffers = new NetifRxRequest[1];
                Assert.Equal(1, back.Queue.ReceiveRing.ConsumeRequests(buffers));
                ushort id = wrongId ? (ushort)300 : buffers[0].Id;
                back.Queue.ReceiveRing.ProduceResponse(new NetifRxResponse { Id = id, Flags = NetifRxFlags.Inline, Status = status });
                back.Queue.ReceiveRing.PushResponses();
                var collector = new CollectingHandler();
                PvRingProtocolException refused = general
                    ? Assert.Throws<PvRingProtocolException>(() => front.Queue.Receive(ref collector))
                    : Assert.Throws<PvRingProtocolException>(() => front.Queue.TryReceive(new byte[200], out _));
                Assert.Empty(collector.Packets);
                Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
            }
        }
    }

    private delegate bool Receiver(Span<byte> destination, out int length);

    // Through a buffer too small first when the packet is larger than it (it must stay queued, whole), then a large one.
    private static void ExpectReceived(byte[] packet, Receiver receive, byte[] small, byte[] large)
    {
        if (packet.Length > small.Length)
        {
            Assert.False(receive(small, out int needed));
            Assert.Equal(packet.Length, needed);
            Assert.True(receive(large, out int length));
            Assert.Equal(packet, large[..length]);
        }
        else
        {
            Assert.True(receive(small, out int length));
            Assert.Equal(packet, small[..length]);
        }
    }

    private static unsafe byte[] Bytes(PacketSegment segment) => new ReadOnlySpan<byte>(segment.Address, segment.Length).ToArray();

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private struct CollectingHandler : INetPacketHandler
    {
        public CollectingHandler()
        {
        }

        public List<byte[]> Packets { get; } = [];

        public readonly void OnPacket(NetPacket packet)
        {
            var bytes = new byte[packet.Length];
            _ = packet.CopyTo(bytes);
            Packets.Add(bytes);
        }
    }
}
