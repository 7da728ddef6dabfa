// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Tests.Store;

namespace PvRing.Tests.Bus;

public sealed class XenBusTeardownTests
{
    [Fact]
    public async Task CloseAsync_FrontRequestsClose_BothSidesReachClosed()
    {
        await using BusTestDevice setup = await BusTestDevice.CreateAsync();
        var back = new XenBusBackend(setup.Back, setup.Device, new Dictionary<XenBusFeature, uint>(), BusTestDevice.Options);
        var front = new XenBusFrontend(setup.Front, setup.Device, new Dictionary<XenBusFeature, uint>(), BusTestDevice.Options);
        Task<XenBusNegotiation> backDone = back.ConnectAsync(StoreTestHost.Bounded());
        await front.ConnectAsync(BusTestDevice.RingKeys, StoreTestHost.Bounded());
        await backDone;

        Task backClosed = Task.Run(async () =>
        {
            await back.WaitForCloseRequestAsync(StoreTestHost.Bounded());
            await back.CloseAsync(StoreTestHost.Bounded());
        });
        await front.CloseAsync(StoreTestHost.Bounded());
        await backClosed;

        Assert.Equal(XenbusState.Closed, await front.GetStateAsync(StoreTestHost.Bounded()));
        Assert.Equal(XenbusState.Closed, await back.GetStateAsync(StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task WaitForPeerToLeaveAsync_BackCloses_FrontAnswersClosingSoTheBackCloseCompletes()
    {
        await using BusTestDevice setup = await BusTestDevice.CreateAsync();
        var back = new XenBusBackend(setup.Back, setup.Device, new Dictionary<XenBusFeature, uint>(), BusTestDevice.Options);
        var front = new XenBusFrontend(setup.Front, setup.Device, new Dictionary<XenBusFeature, uint>(), BusTestDevice.Options);
        Task<XenBusNegotiation> backDone = back.ConnectAsync(StoreTestHost.Bounded());
        await front.ConnectAsync(BusTestDevice.RingKeys, StoreTestHost.Bounded());
        await backDone;
        Task following = front.WaitForPeerToLeaveAsync(StoreTestHost.Bounded());
        Assert.False(following.IsCompleted);

        // The back's close waits for the front to leave Connected: the follower's answer lets it finish.
        await back.CloseAsync(StoreTestHost.Bounded());
        await following.WaitAsync(StoreTestHost.Timeout);
        Assert.Equal(XenbusState.Closing, await front.GetStateAsync(StoreTestHost.Bounded()));
        Assert.Equal(XenbusState.Closed, await back.GetStateAsync(StoreTestHost.Bounded()));
        await front.CloseAsync(StoreTestHost.Bounded());
        Assert.Equal(XenbusState.Closed, await front.GetStateAsync(StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task WaitForPeerToLeaveAsync_Cancelled_OperationCanceledAndStateUntouched()
    {
        await using BusTestDevice setup = await BusTestDevice.CreateAsync();
        var back = new XenBusBackend(setup.Back, setup.Device, new Dictionary<XenBusFeature, uint>(), BusTestDevice.Options);
        var front = new XenBusFrontend(setup.Front, setup.Device, new Dictionary<XenBusFeature, uint>(), BusTestDevice.Options);
        Task<XenBusNegotiation> backDone = back.ConnectAsync(StoreTestHost.Bounded());
        await front.ConnectAsync(BusTestDevice.RingKeys, StoreTestHost.Bounded());
        await backDone;

        using var stop = new CancellationTokenSource();
        Task following = back.WaitForPeerToLeaveAsync(stop.Token);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => following.WaitAsync(StoreTestHost.Timeout));
        Assert.Equal(XenbusState.Connected, await back.GetStateAsync(StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task ConnectAsync_FrontDomainGoesAway_BackFailsBeforeTimeout()
    {
        await using BusTestDevice setup = await BusTestDevice.CreateAsync();
        var back = new XenBusBackend(setup.Back, setup.Device, new Dictionary<XenBusFeature, uint>(), BusTestDevice.Options);
        Task<XenBusNegotiation> backDone = back.ConnectAsync(StoreTestHost.Bounded());

        // The front end's domain vanishes without ever answering.
        await setup.Front.DisposeAsync();
        var e = await Assert.ThrowsAsync<XenBusNegotiationException>(() => backDone);
        Assert.Contains("went away", e.Message);
        Assert.False(e.IsRefused);
    }

    [Fact]
    public async Task GetStateAsync_MalformedStateValue_ThrowsProtocolException()
    {
        await using BusTestDevice setup = await BusTestDevice.CreateAsync();
        var back = new XenBusBackend(setup.Back, setup.Device, new Dictionary<XenBusFeature, uint>(), BusTestDevice.Options);
        await setup.Back.WriteAsync(setup.Device.BackendPath + "/state", "4x", StoreTestHost.Bounded());
        await Assert.ThrowsAsync<PvRingProtocolException>(() => back.GetStateAsync(StoreTestHost.Bounded()));
    }
}
