// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Bus;
using PvRing.Tests.Store;
using PvRing.Protocols.Netif;
using PvRing.Transport;

namespace PvRing.Tests.Transport;

/// <summary>
/// Hand-made malformed chains on a connected device: each of netback's rules refuses the packet with the library's
/// protocol exception before any byte of it reaches the handler, and the device reports it with an <c>error</c> node.
/// </summary>
public sealed class NetHostileChainTests
{
    public enum Hostile
    {
        TooManySlots,
        SizesDoNotAddUp,
        FirstSizeZero,
        UngrantedReference,
        RevokedReference,
        PageOverrun,
        ExtraInfoFlag,
        MoreDataWithoutScatterGather,
    }

    public static TheoryData<Hostile, NetGrantModes> Cases()
    {
        var data = new TheoryData<Hostile, NetGrantModes>();
        foreach (Hostile hostile in Enum.GetValues<Hostile>())
        {
            foreach (NetGrantModes mode in new[] { NetGrantModes.Copy, NetGrantModes.Map, NetGrantModes.Persistent, NetGrantModes.DirectMap, NetGrantModes.DeferredUnmap })
            {
                if (hostile == Hostile.RevokedReference && mode == NetGrantModes.DirectMap)
                {
                    continue; // direct map names frames, not grants: nothing to revoke
                }

                data.Add(hostile, mode);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Receive_MalformedTransmitChain_ProtocolErrorNothingDeliveredErrorNode(Hostile hostile, NetGrantModes mode)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        NetDeviceFeatures wants = NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = mode, ScatterGather = hostile != Hostile.MoreDataWithoutScatterGather };
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, wants);
        await using (front)
        await using (back)
        {
            // A good packet first: the queue works, and the hostile one must not disturb what was delivered.
            Assert.True(front.Queue.TrySend(new byte[100]));
            var counter = new CountingHandler();
            Assert.Equal(1, back.Queue.Receive(ref counter));

            foreach (NetifTxRequest request in Chain(bed, hostile, mode))
            {
                front.Queue.TransmitRing.ProduceRequest(request);
            }

            front.Queue.TransmitRing.PushRequests();
            var refused = Assert.Throws<PvRingProtocolException>(() => back.Queue.Receive(ref counter));
            Assert.Equal(1, counter.Packets);
            Assert.Contains(ExpectedText(hostile), refused.Message, StringComparison.Ordinal);

            await back.FailAsync(refused, StoreTestHost.Bounded());
            string? error = await bed.FrontStore.TryReadAsync(bed.Device.BackendPath + "/error");
            Assert.NotNull(error);
            Assert.StartsWith("22 The front end", error, StringComparison.Ordinal);
            Assert.Equal(((int)XenbusState.Closing).ToString(CultureInfo.InvariantCulture), await bed.FrontStore.ReadAsync(bed.Device.BackendPath + "/state"));
            await front.BackendGone.WaitAsync(StoreTestHost.Timeout);
        }
    }

    [Theory]
    [InlineData(300, (short)10, NetifRxFlags.None, "not in flight")]
    [InlineData(3, (short)-1, NetifRxFlags.None, "status=-1")]
    [InlineData(3, (short)200, NetifRxFlags.None, "offset=4000")]
    [InlineData(3, (short)10, NetifRxFlags.ExtraInfo, "flags=0x8")]
    public async Task Receive_MalformedReceiveResponse_FrontRefusesAndDeliversNothing(int id, short status, NetifRxFlags flags, string expected)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = NetGrantModes.Copy });
        await using (front)
        await using (back)
        {
            // The front posted its buffers at connect; answer one the hostile way instead of filling it.
            var buffers = new NetifRxRequest[4];
            Assert.Equal(4, back.Queue.ReceiveRing.ConsumeRequests(buffers));
            back.Queue.ReceiveRing.ProduceResponse(new NetifRxResponse { Id = (ushort)id, Offset = (ushort)(expected.StartsWith("offset", StringComparison.Ordinal) ? 4000 : 0), Flags = flags, Status = status });
            back.Queue.ReceiveRing.PushResponses();
            var counter = new CountingHandler();
            var refused = Assert.Throws<PvRingProtocolException>(() => front.Queue.Receive(ref counter));
            Assert.Equal(0, counter.Packets);
            Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
        }
    }

    private static string ExpectedText(Hostile hostile) => hostile switch
    {
        Hostile.TooManySlots => "more than 18 slots",
        Hostile.SizesDoNotAddUp => "is not the chain's total",
        Hostile.FirstSizeZero => "is not the chain's total",
        Hostile.UngrantedReference => "does not validate",
        Hostile.RevokedReference => "does not validate",
        Hostile.PageOverrun => "crosses the page",
        Hostile.ExtraInfoFlag => "unknown or unnegotiated flags",
        _ => "NETTXF_more_data without feature-sg",
    };

    /// <summary>The malformed chain: real grants on spare frames (or frame numbers in direct map) unless the case is about the reference.</summary>
    private static List<NetifTxRequest> Chain(NetDeviceTestBed bed, Hostile hostile, NetGrantModes mode)
    {
        uint Reference(int page) => mode == NetGrantModes.DirectMap
            ? bed.SpareFrame + (uint)page
            : bed.Grants.GrantAccess(0, bed.SpareFrame + (uint)page, readOnly: false);

        NetifTxRequest Slot(int page, ushort size, NetifTxFlags flags, ushort offset = 0) =>
            new() { GrantRef = Reference(page), Offset = offset, Flags = flags, Id = (ushort)(200 + page), Size = size };

        switch (hostile)
        {
            case Hostile.TooManySlots:
                return Enumerable.Range(0, 19).Select(i => Slot(i % 8, (ushort)(i == 0 ? 19 : 1), i < 18 ? NetifTxFlags.MoreData : NetifTxFlags.None)).ToList();
            case Hostile.SizesDoNotAddUp:
                return [Slot(0, 100, NetifTxFlags.MoreData), Slot(1, 200, NetifTxFlags.None)];
            case Hostile.FirstSizeZero:
                return [Slot(0, 0, NetifTxFlags.None)];
            case Hostile.UngrantedReference:
                return [new NetifTxRequest { GrantRef = mode == NetGrantModes.DirectMap ? bed.Grants.FrameCount + 5 : 5000, Id = 200, Size = 64 }];
            case Hostile.RevokedReference:
                uint revoked = Reference(0);
                Assert.True(bed.Grants.TryEndAccess(revoked));
                return [new NetifTxRequest { GrantRef = revoked, Id = 200, Size = 64 }];
            case Hostile.PageOverrun:
                return [Slot(0, 200, NetifTxFlags.None, offset: 4000)];
            case Hostile.ExtraInfoFlag:
                return [Slot(0, 64, NetifTxFlags.ExtraInfo)];
            default:
                return [Slot(0, 100, NetifTxFlags.MoreData), Slot(1, 50, NetifTxFlags.None)];
        }
    }

    private struct CountingHandler : INetPacketHandler
    {
        public int Packets;

        public void OnPacket(NetPacket packet) => Packets++;
    }
}
