// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Tests.Store;
using PvRing.Rings;

namespace PvRing.Tests.Bus;

/// <summary>
/// The ring variant two ends agree on is exactly the intersection of what the back offers and the front wants,
/// both by the pure function and through a real negotiation in the store.
/// </summary>
public sealed class XenBusRingVariantNegotiationTests
{
    public static TheoryData<RingFeatures, RingFeatures> EverySubsetPair()
    {
        var data = new TheoryData<RingFeatures, RingFeatures>();
        for (int offered = 0; offered < 8; offered++)
        {
            for (int wanted = 0; wanted < 8; wanted++)
            {
                data.Add((RingFeatures)offered, (RingFeatures)wanted);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EverySubsetPair))]
    public void NegotiateRingVariant_OffersAndWishes_IntersectionAndSmallerOrder(RingFeatures offered, RingFeatures wanted)
    {
        for (int maxOrder = 0; maxOrder <= 4; maxOrder++)
        {
            for (int wantedOrder = 0; wantedOrder <= 4; wantedOrder++)
            {
                RingVariant result = XenBusStandardFeatures.NegotiateRingVariant(new RingVariant(offered, maxOrder), new RingVariant(wanted, wantedOrder));
                Assert.Equal(offered & wanted, result.Features);
                Assert.Equal(Math.Min(maxOrder, wantedOrder), result.Order);
                Assert.Equal(RingSlotKind.Network, result.SlotKind);
            }
        }
    }

    [Fact]
    public void NegotiateRingVariant_DifferentSlotKinds_Throws() =>
        Assert.Throws<ArgumentException>(() => XenBusStandardFeatures.NegotiateRingVariant(
            new RingVariant(RingFeatures.All, 0, RingSlotKind.Block), new RingVariant(RingFeatures.All, 0, RingSlotKind.Network)));

    [Fact]
    public void RingVariantValues_AllFeatures_KeysAndOrder()
    {
        IReadOnlyDictionary<XenBusFeature, uint> values = XenBusStandardFeatures.RingVariantValues(new RingVariant(RingFeatures.SplitIndexes | RingFeatures.SplitRings, 3));
        Assert.Equal(1u, values[XenBusStandardFeatures.SplitIndexes]);
        Assert.Equal(0u, values[XenBusStandardFeatures.AlignSlot]);
        Assert.Equal(1u, values[XenBusStandardFeatures.SplitRings]);
        Assert.Equal(3u, values[XenBusStandardFeatures.RingPageOrder]);
        Assert.Equal(["feature-split-indexes", "feature-align-slot", "feature-split-rings"], new[] { XenBusStandardFeatures.SplitIndexes, XenBusStandardFeatures.AlignSlot, XenBusStandardFeatures.SplitRings }.Select(f => f.OfferKey));
        Assert.Throws<ArgumentOutOfRangeException>(() => XenBusStandardFeatures.RingVariantValues(new RingVariant(RingFeatures.None, 5)));
    }

    [Theory]
    [MemberData(nameof(EverySubsetPair))]
    public async Task ConnectAsync_OffersAndWishes_BothEndsDeriveTheIntersection(RingFeatures offered, RingFeatures wanted)
    {
        var offer = new RingVariant(offered, 4, RingSlotKind.Block);
        var wish = new RingVariant(wanted, 2, RingSlotKind.Block);
        await using BusTestDevice setup = await BusTestDevice.CreateAsync();
        var back = new XenBusBackend(setup.Back, setup.Device, XenBusStandardFeatures.RingVariantValues(offer), BusTestDevice.Options);
        var front = new XenBusFrontend(setup.Front, setup.Device, XenBusStandardFeatures.RingVariantValues(wish), BusTestDevice.Options);

        Task<XenBusNegotiation> backDone = back.ConnectAsync(StoreTestHost.Bounded());
        XenBusNegotiation frontResult = await front.ConnectAsync(BusTestDevice.RingKeys, StoreTestHost.Bounded());
        XenBusNegotiation backResult = await backDone;

        RingVariant expected = XenBusStandardFeatures.NegotiateRingVariant(offer, wish);
        Assert.Equal(new RingVariant(offered & wanted, 2, RingSlotKind.Block), expected);
        Assert.Equal(expected, XenBusStandardFeatures.RingVariantOf(frontResult, RingSlotKind.Block));
        Assert.Equal(expected, XenBusStandardFeatures.RingVariantOf(backResult, RingSlotKind.Block));
        Assert.Equal(((offered & RingFeatures.SplitRings) != 0) ? "1" : "0", await setup.Back.ReadAsync($"{setup.Device.BackendPath}/feature-split-rings", StoreTestHost.Bounded()));
        Assert.Equal(((offered & wanted & RingFeatures.SplitIndexes) != 0) ? "1" : "0", await setup.Back.ReadAsync($"{setup.Device.FrontendPath}/feature-split-indexes", StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task ConnectAsync_NeitherSideWritesRingKeys_Classic()
    {
        await using BusTestDevice setup = await BusTestDevice.CreateAsync();
        var back = new XenBusBackend(setup.Back, setup.Device, new Dictionary<XenBusFeature, uint>(), BusTestDevice.Options);
        var front = new XenBusFrontend(setup.Front, setup.Device, new Dictionary<XenBusFeature, uint>(), BusTestDevice.Options);
        Task<XenBusNegotiation> backDone = back.ConnectAsync(StoreTestHost.Bounded());
        XenBusNegotiation frontResult = await front.ConnectAsync(BusTestDevice.RingKeys, StoreTestHost.Bounded());
        await backDone;

        Assert.Equal(RingVariant.Classic(), XenBusStandardFeatures.RingVariantOf(frontResult, RingSlotKind.Network));
    }
}
