// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Tests.Store;
using PvRing.Store;

namespace PvRing.Tests.Bus;

/// <summary>Every "back offers / front wants" combination of every defined feature ends Connected with the expected value.</summary>
public sealed class XenBusNegotiationTests
{
    public static TheoryData<string, int, int, uint> Combinations()
    {
        // -1 means "not written": the back end does not advertise, or the front end has no preference.
        var data = new TheoryData<string, int, int, uint>();
        Add(data, XenBusStandardFeatures.RingPageOrder, [-1, 0, 2, 4], [-1, 0, 1, 4]);
        Add(data, XenBusStandardFeatures.SplitRings, [-1, 0, 1], [-1, 0, 1]);
        Add(data, XenBusStandardFeatures.MultiQueue, [-1, 1, 4], [-1, 1, 2, 8]);
        return data;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task ConnectAsync_OfferAndWant_BothConnectedWithExpectedValue(string feature, int offer, int want, uint expected)
    {
        XenBusFeature definition = BusTestDevice.KnownFeatures.Single(f => f.Name == feature);
        await using BusTestDevice setup = await BusTestDevice.CreateAsync();
        var back = new XenBusBackend(setup.Back, setup.Device, offer < 0 ? new Dictionary<XenBusFeature, uint>() : new() { [definition] = (uint)offer }, BusTestDevice.Options);
        var front = new XenBusFrontend(setup.Front, setup.Device, want < 0 ? new Dictionary<XenBusFeature, uint>() : new() { [definition] = (uint)want }, BusTestDevice.Options);

        Task<XenBusNegotiation> backDone = back.ConnectAsync(StoreTestHost.Bounded());
        XenBusNegotiation frontResult = await front.ConnectAsync(BusTestDevice.RingKeys, StoreTestHost.Bounded());
        XenBusNegotiation backResult = await backDone;

        Assert.Equal(expected, frontResult[definition]);
        Assert.Equal(expected, backResult[definition]);
        Assert.Equal(XenbusState.Connected, await back.GetStateAsync(StoreTestHost.Bounded()));
        Assert.Equal(XenbusState.Connected, await front.GetStateAsync(StoreTestHost.Bounded()));
        Assert.Equal(offer < 0 ? null : offer.ToString(), await setup.Back.TryReadAsync($"{setup.Device.BackendPath}/{definition.OfferKey}", StoreTestHost.Bounded()));
        Assert.Equal(expected.ToString(), await setup.Back.ReadAsync($"{setup.Device.FrontendPath}/{definition.ChoiceKey}", StoreTestHost.Bounded()));
        Assert.Equal("8", await setup.Back.ReadAsync($"{setup.Device.FrontendPath}/tx-ring-ref", StoreTestHost.Bounded()));
        Assert.False(await setup.Back.ExistsAsync($"{setup.Device.BackendPath}/error", StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task ConnectAsync_AllFeaturesTogether_NegotiatesEach()
    {
        await using BusTestDevice setup = await BusTestDevice.CreateAsync();
        var back = new XenBusBackend(setup.Back, setup.Device, new Dictionary<XenBusFeature, uint>
        {
            [XenBusStandardFeatures.RingPageOrder] = 3,
            [XenBusStandardFeatures.SplitRings] = 1,
            [XenBusStandardFeatures.MultiQueue] = 4,
        }, BusTestDevice.Options);
        var front = new XenBusFrontend(setup.Front, setup.Device, new Dictionary<XenBusFeature, uint>
        {
            [XenBusStandardFeatures.RingPageOrder] = 4,
            [XenBusStandardFeatures.SplitRings] = 1,
            [XenBusStandardFeatures.MultiQueue] = 2,
        }, BusTestDevice.Options);

        Task<XenBusNegotiation> backDone = back.ConnectAsync(StoreTestHost.Bounded());
        XenBusNegotiation result = await front.ConnectAsync(BusTestDevice.RingKeys, StoreTestHost.Bounded());
        await backDone;
        Assert.Equal(3u, result[XenBusStandardFeatures.RingPageOrder]);
        Assert.True(result.IsEnabled(XenBusStandardFeatures.SplitRings));
        Assert.Equal(2u, result[XenBusStandardFeatures.MultiQueue]);
    }

    [Fact]
    public async Task Permissions_DeviceDirectories_OwnedByTheirDomainReadableByPeer()
    {
        await using BusTestDevice setup = await BusTestDevice.CreateAsync();
        Assert.Equal([new(1, XenStoreAccess.None), new(0, XenStoreAccess.Read)], await setup.Back.GetPermissionsAsync(setup.Device.FrontendPath, StoreTestHost.Bounded()));
        Assert.Equal([new(0, XenStoreAccess.None), new(1, XenStoreAccess.Read)], await setup.Back.GetPermissionsAsync(setup.Device.BackendPath, StoreTestHost.Bounded()));
        Assert.Equal(setup.Device.BackendPath, await setup.Front.ReadAsync(setup.Device.FrontendPath + "/backend", StoreTestHost.Bounded()));
        var e = await Assert.ThrowsAsync<XenStoreException>(() => setup.Front.WriteAsync(setup.Device.BackendPath + "/state", "4", StoreTestHost.Bounded()));
        Assert.Equal("EACCES", e.ErrorName);
    }

    private static void Add(TheoryData<string, int, int, uint> data, XenBusFeature feature, int[] offers, int[] wants)
    {
        foreach (int offer in offers)
        {
            foreach (int want in wants)
            {
                uint effectiveOffer = offer < 0 ? feature.DefaultValue : (uint)offer;
                uint effectiveWant = want < 0 ? feature.DefaultValue : (uint)want;
                data.Add(feature.Name, offer, want, Math.Max(feature.Minimum, Math.Min(effectiveOffer, effectiveWant)));
            }
        }
    }
}
