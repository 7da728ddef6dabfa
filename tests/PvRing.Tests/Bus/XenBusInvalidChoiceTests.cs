// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Tests.Store;

namespace PvRing.Tests.Bus;

/// <summary>A hostile or buggy front end writes a bad choice: the back end writes <c>error</c> and goes to Closing.</summary>
public sealed class XenBusInvalidChoiceTests
{
    [Theory]
    [InlineData("ring-page-order", "5", 4)]
    [InlineData("ring-page-order", "3", 2)]
    [InlineData("ring-page-order", "1", -1)]
    [InlineData("ring-page-order", "1x", 4)]
    [InlineData("ring-page-order", "", 4)]
    [InlineData("ring-page-order", " 1", 4)]
    [InlineData("ring-page-order", "-1", 4)]
    [InlineData("ring-page-order", "01", 4)]
    [InlineData("ring-page-order", "99999999999", 4)]
    [InlineData("feature-split-rings", "1", 0)]
    [InlineData("feature-split-rings", "1", -1)]
    [InlineData("feature-split-rings", "2", 1)]
    [InlineData("feature-split-rings", "yes", 1)]
    [InlineData("multi-queue-num-queues", "0", 4)]
    [InlineData("multi-queue-num-queues", "5", 4)]
    [InlineData("multi-queue-num-queues", "2", -1)]
    [InlineData("multi-queue-num-queues", "4.0", 4)]
    public async Task ConnectAsync_InvalidChoice_BackWritesErrorAndCloses(string choiceKey, string choice, int offer)
    {
        XenBusFeature feature = BusTestDevice.KnownFeatures.Single(f => f.ChoiceKey == choiceKey);
        await using BusTestDevice setup = await BusTestDevice.CreateAsync();
        var back = new XenBusBackend(setup.Back, setup.Device, offer < 0 ? new Dictionary<XenBusFeature, uint>() : new() { [feature] = (uint)offer }, BusTestDevice.Options);
        Task<XenBusNegotiation> backDone = back.ConnectAsync(StoreTestHost.Bounded());

        // The hostile front end: the raw choice and Initialised in one transaction, as a real front end would.
        await setup.Front.RunTransactionAsync(async (t, token) =>
        {
            await t.WriteAsync($"{setup.Device.FrontendPath}/{choiceKey}", choice, token);
            await t.WriteAsync($"{setup.Device.FrontendPath}/state", "3", token);
            return true;
        }, StoreTestHost.Bounded());

        var e = await Assert.ThrowsAsync<XenBusNegotiationException>(() => backDone);
        string? error = await setup.Front.TryReadAsync($"{setup.Device.BackendPath}/error", StoreTestHost.Bounded());
        Assert.NotNull(error);
        Assert.StartsWith("22 ", error);
        Assert.Contains(choiceKey, error);
        Assert.Contains(choiceKey, e.Message);
        Assert.True(e.IsRefused);
        Assert.Equal(XenbusState.Closing, await back.GetStateAsync(StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task ConnectAsync_BackRefusesChoice_FrontThrowsWithBackError()
    {
        await using BusTestDevice setup = await BusTestDevice.CreateAsync();
        var back = new XenBusBackend(setup.Back, setup.Device, new Dictionary<XenBusFeature, uint> { [XenBusStandardFeatures.RingPageOrder] = 2 }, BusTestDevice.Options);
        Task<XenBusNegotiation> backDone = back.ConnectAsync(StoreTestHost.Bounded());

        // A front end whose transport keys override its own choice with one above the offer.
        var front = new XenBusFrontend(setup.Front, setup.Device, new Dictionary<XenBusFeature, uint>(), BusTestDevice.Options);
        Task<XenBusNegotiation> frontDone = front.ConnectAsync(_ => new Dictionary<string, string> { ["ring-page-order"] = "3" }, StoreTestHost.Bounded());

        Assert.True((await Assert.ThrowsAsync<XenBusNegotiationException>(() => backDone)).IsRefused);
        var e = await Assert.ThrowsAsync<XenBusNegotiationException>(() => frontDone);
        Assert.Contains("ring-page-order 3 exceeds max-ring-page-order 2", e.Message);

        // The front sees the back's refusal (its error node) as a refusal too: a protocol failure, not a timeout.
        Assert.True(e.IsRefused);
    }
}
