// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Tests.Store;

namespace PvRing.Tests.Bus;

/// <summary>A hostile or buggy back end advertises a malformed value: the front end writes <c>error</c> and goes to Closing.</summary>
public sealed class XenBusMalformedOfferTests
{
    [Theory]
    [InlineData("max-ring-page-order", "abc")]
    [InlineData("max-ring-page-order", "5")]
    [InlineData("max-ring-page-order", "2 ")]
    [InlineData("feature-split-rings", "2")]
    [InlineData("feature-split-rings", "true")]
    [InlineData("multi-queue-max-queues", "0")]
    [InlineData("multi-queue-max-queues", "0x4")]
    [InlineData("multi-queue-max-queues", "")]
    public async Task ConnectAsync_MalformedOffer_FrontWritesErrorAndCloses(string offerKey, string offer)
    {
        await using BusTestDevice setup = await BusTestDevice.CreateAsync();
        await setup.Back.RunTransactionAsync(async (t, token) =>
        {
            await t.WriteAsync($"{setup.Device.BackendPath}/{offerKey}", offer, token);
            await t.WriteAsync($"{setup.Device.BackendPath}/state", "2", token);
            return true;
        }, StoreTestHost.Bounded());
        var front = new XenBusFrontend(setup.Front, setup.Device, new Dictionary<XenBusFeature, uint>(), BusTestDevice.Options);

        var e = await Assert.ThrowsAsync<XenBusNegotiationException>(() => front.ConnectAsync(BusTestDevice.RingKeys, StoreTestHost.Bounded()));
        Assert.Contains(offerKey, e.Message);
        Assert.True(e.IsRefused);
        string error = await setup.Back.ReadAsync($"{setup.Device.FrontendPath}/error", StoreTestHost.Bounded());
        Assert.StartsWith("22 ", error);
        Assert.Equal(XenbusState.Closing, await front.GetStateAsync(StoreTestHost.Bounded()));
    }
}
