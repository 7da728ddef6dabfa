// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Bus;
using PvRing.Tests.Store;
using PvRing.Transport;

namespace PvRing.Tests.Transport;

/// <summary>The grant-mode keys in the negotiation: every offered set against every wanted mode, and a front that cheats.</summary>
public sealed class NetGrantModeNegotiationTests
{
    private static readonly NetGrantModes[] s_keyed = [NetGrantModes.Map, NetGrantModes.Persistent, NetGrantModes.DirectMap, NetGrantModes.DeferredUnmap];

    public static TheoryData<int, NetGrantModes> OfferedByWanted()
    {
        var data = new TheoryData<int, NetGrantModes>();
        for (int offered = 0; offered < 16; offered++)
        {
            foreach (NetGrantModes wanted in s_keyed.Prepend(NetGrantModes.Copy))
            {
                data.Add(offered, wanted);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OfferedByWanted))]
    public async Task Connect_OfferedModesByWantedMode_WantedIfOfferedElseCopy(int offered, NetGrantModes wanted)
    {
        NetGrantModes offers = NetGrantModes.Copy;
        for (int bit = 0; bit < s_keyed.Length; bit++)
        {
            offers |= (offered & (1 << bit)) != 0 ? s_keyed[bit] : NetGrantModes.None;
        }

        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(
            NetDeviceFeatures.Classic with { GrantModes = offers, ScatterGather = true },
            NetDeviceFeatures.Classic with { GrantModes = wanted, ScatterGather = true });
        await using (front)
        await using (back)
        {
            NetGrantModes expected = (offers & wanted) != 0 ? wanted : NetGrantModes.Copy;
            Assert.Equal(expected, front.Features.GrantModes);
            Assert.Equal(expected, back.Features.GrantModes);
            Assert.Equal(expected.ToScheme(), back.Queue.TransmitMapper.Scheme);

            // The store says the same: the back's offers, and the front's one choice (copy has no key).
            foreach (NetGrantModes mode in s_keyed)
            {
                XenBusFeature feature = Key(mode);
                Assert.Equal((offers & mode) != 0 ? "1" : "0", await bed.BackStore.ReadAsync($"{bed.Device.BackendPath}/{feature.OfferKey}"));
                Assert.Equal(expected == mode ? "1" : "0", await bed.BackStore.ReadAsync($"{bed.Device.FrontendPath}/{feature.ChoiceKey}"));
            }

            PacketExchange.Run(front, back, NetDirections.Both, 64, i => 1 + (int)(i * 997 % 9000));
        }
    }

    [Fact]
    public async Task Connect_FrontChoosesTwoModes_BackRefusesWithError()
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        Task<NetBackend> backTask = bed.ConnectBackAsync(NetDeviceFeatures.All);

        // A hand-made front that accepts both offered modes at once.
        var wants = new Dictionary<XenBusFeature, uint> { [NetifKeys.GrantMap] = 1, [NetifKeys.Persistent] = 1 };
        var front = new XenBusFrontend(bed.FrontStore, bed.Device, wants, NetDeviceTestBed.Bus);
        Task<XenBusNegotiation> frontTask = front.ConnectAsync(_ => new Dictionary<string, string>(), StoreTestHost.Bounded());

        var refused = await Assert.ThrowsAsync<XenBusNegotiationException>(() => backTask);
        Assert.Contains("two grant modes", refused.Message, StringComparison.Ordinal);
        Assert.StartsWith("22 ", await bed.BackStore.ReadAsync(bed.Device.BackendPath + "/error"), StringComparison.Ordinal);
        Assert.Equal(((int)XenbusState.Closing).ToString(CultureInfo.InvariantCulture), await bed.BackStore.ReadAsync(bed.Device.BackendPath + "/state"));
        await Assert.ThrowsAsync<XenBusNegotiationException>(() => frontTask);
    }

    private static XenBusFeature Key(NetGrantModes mode) => mode switch
    {
        NetGrantModes.Map => NetifKeys.GrantMap,
        NetGrantModes.Persistent => NetifKeys.Persistent,
        NetGrantModes.DirectMap => NetifKeys.DirectMap,
        _ => NetifKeys.DeferredUnmap,
    };
}
