// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Bus;
using PvRing.Core.Tests.Store;
using PvRing.Events;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Transport;

namespace PvRing.Core.Tests.Transport;

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
        var wants = NetDeviceFeatures.All with { RingPageOrder = order };
        Task<NetBackend> backTask = bed.ConnectBackAsync(offers);
        await using NetFrontend front = await bed.ConnectFrontAsync(wants);
        await using NetBackend back = await backTask;

        var expected = new NetDeviceFeatures((RingFeatures)offered, order, splitChannels);
        Assert.Equal(expected, front.Features);
        Assert.Equal(expected, back.Features);
        Assert.Equal(RingVariantLayout.SlotCount<NetifTxRequest, NetifTxResponse>(expected.Variant), front.Transmit.Size);
        Assert.Equal(front.Transmit.Size, back.Transmit.Size);
        Assert.Equal(front.Receive.Size, back.Receive.Size);
        Assert.Equal(splitChannels, !ReferenceEquals(front.TransmitChannel, front.ReceiveChannel));
        Assert.Equal(splitChannels, !ReferenceEquals(back.TransmitChannel, back.ReceiveChannel));

        // The store holds what Linux's ends would read: one ref per page per ring, and the channel keys.
        string path = bed.Device.FrontendPath;
        for (int page = 0; page < 1 << order; page++)
        {
            Assert.NotNull(await bed.BackStore.TryReadAsync($"{path}/{XenBusRingKeys.RingReferenceKey("tx-", order, page)}"));
            Assert.NotNull(await bed.BackStore.TryReadAsync($"{path}/{XenBusRingKeys.RingReferenceKey("rx-", order, page)}"));
        }

        Assert.Equal(splitChannels, await bed.BackStore.TryReadAsync(path + "/event-channel-tx") is not null);
        Assert.Equal(!splitChannels, await bed.BackStore.TryReadAsync(path + "/event-channel") is not null);

        MoveTransmit(front, back, 3 * front.Transmit.Size);
        MoveReceive(front, back, 3 * front.Receive.Size, splitChannels);
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
        MoveTransmit(front, back, 2 * front.Transmit.Size);
        MoveReceive(front, back, 2 * front.Receive.Size, expected.SplitEventChannels);
    }

    [Fact]
    public async Task Connect_FrontWantsClassic_ClassicRingsAndOneChannel()
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        Task<NetBackend> backTask = bed.ConnectBackAsync(NetDeviceFeatures.All);
        await using NetFrontend front = await bed.ConnectFrontAsync(NetDeviceFeatures.Classic);
        await using NetBackend back = await backTask;
        Assert.Equal(NetDeviceFeatures.Classic, back.Features);
        Assert.True(back.Variant.IsClassic);
        Assert.Equal(256, back.Transmit.Size);
        Assert.Equal("0", await bed.BackStore.ReadAsync(bed.Device.FrontendPath + "/feature-split-rings"));
        MoveTransmit(front, back, 1000);
    }

    [Theory]
    [InlineData("tx-ring-ref", "x8", "not a decimal number")]
    [InlineData("tx-ring-ref", "4000", "status=BadGntref")]
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
        NetFrontend front = await bed.ConnectFrontAsync(NetDeviceFeatures.All with { RingPageOrder = 1 });
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
        var options = new NetFrontendOptions { Wants = NetDeviceFeatures.All with { RingPageOrder = 4 }, FirstFrame = 40, Bus = NetDeviceTestBed.Bus };
        await Assert.ThrowsAsync<ArgumentException>(() => NetFrontend.ConnectAsync(bed.FrontStore, bed.Device, bed.Grants, bed.FrontEvents, options));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NetFrontendOptions { Wants = NetDeviceFeatures.All with { RingPageOrder = 5 } }.Validate());
    }

    private static NetDeviceFeatures Features(int bits, int order) =>
        new((RingFeatures)(bits & (int)RingFeatures.All), order, (bits & 8) != 0);

    private static void MoveTransmit(NetFrontend front, NetBackend back, int total)
    {
        int sent = 0;
        int received = 0;
        var requests = new NetifTxRequest[back.Transmit.Size];
        while (received < total)
        {
            int room = Math.Min(front.Transmit.FreeRequests, total - sent);
            if (room > 0)
            {
                using (SlotBatch<NetifTxRequest> batch = front.Transmit.ClaimRequests(room))
                {
                    for (int i = 0; i < batch.Count; i++)
                    {
                        batch[i] = new NetifTxRequest { Id = (ushort)(sent + i), Size = 60 };
                    }
                }

                sent += room;
            }

            int n = back.Transmit.ConsumeRequests(requests);
            using (SlotBatch<NetifTxResponse> answers = back.Transmit.ClaimResponses(n))
            {
                for (int i = 0; i < n; i++)
                {
                    answers[i] = new NetifTxResponse { Id = requests[i].Id, Status = (short)NetifStatus.Okay };
                }
            }

            while (front.Transmit.TryConsumeResponse(out NetifTxResponse response))
            {
                Assert.Equal((ushort)received, response.Id);
                received++;
            }
        }

        Assert.True(front.TransmitChannel.Counters.NotificationsSent > 0, "the front never notified the transmit channel");
        Assert.Equal(EventWaitResult.Signaled, back.TransmitChannel.Wait(TimeSpan.Zero));
    }

    private static void MoveReceive(NetFrontend front, NetBackend back, int total, bool split)
    {
        // Nothing is pending on the back's channels now (MoveTransmit consumed its event).
        Assert.False(back.TransmitChannel.IsPending);
        Assert.False(back.ReceiveChannel.IsPending);
        int posted = 0;
        int filled = 0;
        var buffers = new NetifRxRequest[back.Receive.Size];
        while (filled < total)
        {
            int room = Math.Min(front.Receive.FreeRequests, total - posted);
            if (room > 0)
            {
                // The batch scope publishes once and kicks the ring's Notifier, the negotiated receive channel.
                using SlotBatch<NetifRxRequest> batch = front.Receive.ClaimRequests(room);
                for (int i = 0; i < batch.Count; i++)
                {
                    batch[i] = new NetifRxRequest { Id = (ushort)(posted + i), GrantRef = 8 };
                }

                posted += room;
            }

            int n = back.Receive.ConsumeRequests(buffers);
            using (SlotBatch<NetifRxResponse> answers = back.Receive.ClaimResponses(n))
            {
                for (int i = 0; i < n; i++)
                {
                    answers[i] = new NetifRxResponse { Id = buffers[i].Id, Status = 60 };
                }
            }

            while (front.Receive.TryConsumeResponse(out NetifRxResponse response))
            {
                Assert.Equal((ushort)filled, response.Id);
                filled++;
            }
        }

        // The receive ring's kick arrives on the receive channel; with split channels it never reaches the transmit one.
        Assert.True(back.ReceiveChannel.IsPending, "the front never notified the receive channel");
        Assert.Equal(!split, back.TransmitChannel.IsPending);
    }
}
