// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Bus;
using PvRing.Tests.Store;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Transport;

namespace PvRing.Tests.Transport;

/// <summary>
/// The net device pair connected through the store: every ring feature and split event channels negotiated, rings
/// granted and mapped, data moved on both rings with notifications on the negotiated channels.
/// </summary>
public sealed class NetDeviceTests
{
    /// <summary>Every subset of the back's offer (ring features x split event channels) against a front that wants everything, at orders 0, 2, 4.</summary>
    public static TheoryData<int, bool, int> Offers()
    {
        var data = new TheoryData<int, bool, int>();
        for (int features = 0; features <= (int)RingFeatures.All; features++)
        {
            foreach (bool split in new[] { false, true })
            {
                foreach (int order in new[] { 0, 2, 4 })
                {
                    data.Add(features, split, order);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Offers))]
    public async Task Connect_BackOffersSubset_BothEndsAgreeOnTheIntersectionAndMoveData(int offered, bool splitChannels, int order)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        var offers = new NetDeviceFeatures((RingFeatures)offered, 4, splitChannels);
        var wants = NetDeviceFeatures.All with { RingPageOrder = order, GrantModes = NetGrantModes.Persistent };
        Task<NetBackend> backTask = bed.ConnectBackAsync(offers);
        await using NetFrontend front = await bed.ConnectFrontAsync(wants);
        await using NetBackend back = await backTask;

        var expected = new NetDeviceFeatures((RingFeatures)offered, order, splitChannels, NetGrantModes.Persistent);
        Assert.Equal(expected, front.Features);
        Assert.Equal(expected, back.Features);
        Assert.Equal(RingVariantLayout.SlotCount<NetifTxRequest, NetifTxResponse>(expected.Variant), front.Queue.TransmitRing.Size);
        Assert.Equal(front.Queue.TransmitRing.Size, back.Queue.TransmitRing.Size);
        Assert.Equal(front.Queue.ReceiveRing.Size, back.Queue.ReceiveRing.Size);
        Assert.Equal(splitChannels, !ReferenceEquals(front.Queue.TransmitChannel, front.Queue.ReceiveChannel));
        Assert.Equal(splitChannels, !ReferenceEquals(back.Queue.TransmitChannel, back.Queue.ReceiveChannel));

        // The store holds what Linux's ends would read: one ref per page per ring, and the channel keys.
        string path = bed.Device.FrontendPath;
        for (int page = 0; page < 1 << order; page++)
        {
            Assert.NotNull(await bed.BackStore.TryReadAsync($"{path}/{XenBusRingKeys.RingReferenceKey("tx-", order, page)}"));
            Assert.NotNull(await bed.BackStore.TryReadAsync($"{path}/{XenBusRingKeys.RingReferenceKey("rx-", order, page)}"));
        }

        Assert.Equal(splitChannels, await bed.BackStore.TryReadAsync(path + "/event-channel-tx") is not null);
        Assert.Equal(!splitChannels, await bed.BackStore.TryReadAsync(path + "/event-channel") is not null);

        MoveTransmit(front, back, 3 * front.Queue.TransmitRing.Size);
        MoveReceive(front, back, 3 * front.Queue.ReceiveRing.Size, splitChannels);
    }

    /// <summary>Every subset of the four booleans the back offers x every subset the front wants (bit 3 = split event channels).</summary>
    public static TheoryData<int, int> EverySubsetPair()
    {
        var data = new TheoryData<int, int>();
        for (int offered = 0; offered < 16; offered++)
        {
            for (int wanted = 0; wanted < 16; wanted++)
            {
                data.Add(offered, wanted);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EverySubsetPair))]
    public async Task Connect_EveryOfferedByEveryWantedSubset_ExactlyTheIntersectionAndDataMoves(int offered, int wanted)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        Task<NetBackend> backTask = bed.ConnectBackAsync(Features(offered, order: 3));
        await using NetFrontend front = await bed.ConnectFrontAsync(Features(wanted, order: 1));
        await using NetBackend back = await backTask;

        NetDeviceFeatures expected = Features(offered & wanted, order: 1);
        Assert.Equal(expected, front.Features);
        Assert.Equal(expected, back.Features);
        MoveTransmit(front, back, 2 * front.Queue.TransmitRing.Size);
        MoveReceive(front, back, 2 * front.Queue.ReceiveRing.Size, expected.SplitEventChannels);
    }

    [Fact]
    public async Task Connect_FrontWantsClassic_ClassicRingsAndOneChannel()
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        Task<NetBackend> backTask = bed.ConnectBackAsync(NetDeviceFeatures.All);
        await using NetFrontend front = await bed.ConnectFrontAsync(NetDeviceFeatures.Classic);
        await using NetBackend back = await backTask;
        Assert.Equal(NetDeviceFeatures.Classic, back.Features);
        Assert.Equal("0", await bed.BackStore.ReadAsync(bed.Device.FrontendPath + "/feature-sg"));
        Assert.Equal("0", await bed.BackStore.ReadAsync(bed.Device.FrontendPath + "/feature-persistent"));
        Assert.True(back.Variant.IsClassic);
        Assert.Equal(256, back.Queue.TransmitRing.Size);
        Assert.Equal("0", await bed.BackStore.ReadAsync(bed.Device.FrontendPath + "/feature-split-rings"));
        MoveTransmit(front, back, 1000);
    }

    [Theory]
    [InlineData("tx-ring-ref", "x8", "not a decimal number")]
    [InlineData("tx-ring-ref", "40000", "status=BadGntref")]
    [InlineData("tx-ring-ref", "12", "status=GeneralError")]
    [InlineData("event-channel", "0", "is 0")]
    [InlineData("event-channel", "1024", "not a decimal number")]
    [InlineData("event-channel", "77", "Cannot bind port 77")]
    [InlineData("rx-ring-ref", null, "did not write")]
    public async Task Connect_HostileTransportKey_BackRefusesWithErrorAndClosing(string key, string? value, string reason)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        Task<NetBackend> backTask = bed.ConnectBackAsync(NetDeviceFeatures.Classic);

        // A hand-made front end: one real granted page for tx, one for rx, a real unbound port, then one key spoiled.
        uint tx = bed.Grants.GrantAccess(0, 0, readOnly: false);
        uint rx = bed.Grants.GrantAccess(0, 1, readOnly: false);
        using var channel = bed.FrontEvents.AllocateUnbound(0);
        var keys = new Dictionary<string, string>
        {
            ["tx-ring-ref"] = tx.ToString(CultureInfo.InvariantCulture),
            ["rx-ring-ref"] = rx.ToString(CultureInfo.InvariantCulture),
            ["event-channel"] = channel.Port.ToString(CultureInfo.InvariantCulture),
        };
        if (value is null)
        {
            keys.Remove(key);
        }
        else
        {
            keys[key] = value;
        }

        var front = new XenBusFrontend(bed.FrontStore, bed.Device, new Dictionary<XenBusFeature, uint>(), NetDeviceTestBed.Bus);
        Task<XenBusNegotiation> frontTask = front.ConnectAsync(_ => keys, StoreTestHost.Bounded());

        var refused = await Assert.ThrowsAsync<XenBusNegotiationException>(() => backTask);
        Assert.IsType<PvRingProtocolException>(refused.InnerException);
        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
        string? error = await bed.BackStore.TryReadAsync(bed.Device.BackendPath + "/error");
        Assert.NotNull(error);
        Assert.StartsWith("22 ", error, StringComparison.Ordinal);
        Assert.Equal(((int)XenbusState.Closing).ToString(CultureInfo.InvariantCulture), await bed.BackStore.ReadAsync(bed.Device.BackendPath + "/state"));
        await Assert.ThrowsAsync<XenBusNegotiationException>(() => frontTask);

        // Nothing of the front's stays mapped: it can end access to both pages.
        Assert.True(bed.Grants.TryEndAccess(tx));
        Assert.True(bed.Grants.TryEndAccess(rx));
    }

    [Fact]
    public async Task Dispose_FrontCloses_BackSeesFrontendGoneAndPagesAreReleased()
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        Task<NetBackend> backTask = bed.ConnectBackAsync(NetDeviceFeatures.All);
        NetFrontend front = await bed.ConnectFrontAsync(NetDeviceFeatures.All with { RingPageOrder = 1, GrantModes = NetGrantModes.Copy });
        NetBackend back = await backTask;
        Assert.False(back.FrontendGone.IsCompleted);

        Task closing = front.DisposeAsync().AsTask();
        await back.FrontendGone.WaitAsync(StoreTestHost.Timeout);
        await back.DisposeAsync();
        await closing.WaitAsync(StoreTestHost.Timeout);
        Assert.Equal(((int)XenbusState.Closed).ToString(CultureInfo.InvariantCulture), await bed.BackStore.ReadAsync(bed.Device.FrontendPath + "/state"));
        Assert.Equal(((int)XenbusState.Closed).ToString(CultureInfo.InvariantCulture), await bed.BackStore.ReadAsync(bed.Device.BackendPath + "/state"));
    }

    [Fact]
    public async Task ConnectFront_ArenaTooSmallForWantedOrder_ArgumentExceptionBeforeNegotiating()
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        var options = new NetFrontendOptions { Wants = NetDeviceFeatures.All with { RingPageOrder = 4, GrantModes = NetGrantModes.Copy }, FirstFrame = 40, Bus = NetDeviceTestBed.Bus };
        await Assert.ThrowsAsync<ArgumentException>(() => NetFrontend.ConnectAsync(bed.FrontStore, bed.Device, bed.Grants, bed.FrontEvents, options));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NetFrontendOptions { Wants = NetDeviceFeatures.All with { RingPageOrder = 5 } }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new NetFrontendOptions { Wants = NetDeviceFeatures.All with { GrantModes = NetGrantModes.Copy | NetGrantModes.Map } }.Validate());
    }

    private static NetDeviceFeatures Features(int bits, int order) =>
        new((RingFeatures)(bits & (int)RingFeatures.All), order, (bits & 8) != 0, NetGrantModes.Copy);

    private static void MoveTransmit(NetFrontend front, NetBackend back, int total)
    {
        PacketExchange.Run(front, back, NetDirections.Transmit, total, _ => 60);
    }

    private static void MoveReceive(NetFrontend front, NetBackend back, int total, bool split)
    {
        long before = back.Queue.TransmitChannel.Counters.NotificationsSent;
        PacketExchange.Run(front, back, NetDirections.Receive, total, _ => 60);

        // The receive ring's kicks go out on the receive channel; with split channels the transmit one stays quiet.
        if (split)
        {
            Assert.Equal(before, back.Queue.TransmitChannel.Counters.NotificationsSent);
        }
    }
}
