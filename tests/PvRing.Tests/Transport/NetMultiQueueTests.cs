// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Bus;
using PvRing.Tests.Store;
using PvRing.Transport;

namespace PvRing.Tests.Transport;

/// <summary>
/// The multiqueue (item E) and NUMA affinity (item H) negotiation of a net device, with both ends in one process: how many
/// queues, where their keys go, what a hostile front's queue count or numa-node does.
/// </summary>
public sealed class NetMultiQueueTests
{
    [Theory]
    [InlineData(4, 1, 1)]
    [InlineData(4, 2, 2)]
    [InlineData(4, 4, 4)]
    [InlineData(4, 8, 4)] // the front asks for more than offered: it gets the offer
    [InlineData(1, 4, 1)] // a back without multiqueue
    public async Task Connect_OfferedByWanted_TheSmallerAndEveryQueueConnected(int offered, int wanted, int agreed)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync(queues: wanted, order: 0);
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(
            NetDeviceFeatures.All with { Queues = offered }, NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = NetGrantModes.Persistent, Queues = wanted });
        await using (front)
        await using (back)
        {
            Assert.Equal(agreed, front.Features.Queues);
            Assert.Equal(agreed, back.Features.Queues);
            Assert.Equal(agreed, front.Queues.Count);
            Assert.Equal(agreed, back.Queues.Count);
            Assert.Equal(offered.ToString(CultureInfo.InvariantCulture), await bed.BackStore.ReadAsync(bed.Device.BackendPath + "/multi-queue-max-queues"));
            Assert.Equal(agreed.ToString(CultureInfo.InvariantCulture), await bed.BackStore.ReadAsync(bed.Device.FrontendPath + "/multi-queue-num-queues"));

            // Linux netfront's layout: one queue keeps the flat keys; several go under queue-N/, nothing flat.
            string front0 = bed.Device.FrontendPath + "/";
            IReadOnlyList<string> keys = await bed.BackStore.ListAsync(bed.Device.FrontendPath);
            if (agreed == 1)
            {
                Assert.Contains("tx-ring-ref", keys);
                Assert.DoesNotContain("queue-0", keys);
            }
            else
            {
                Assert.DoesNotContain("tx-ring-ref", keys);
                for (int q = 0; q < agreed; q++)
                {
                    IReadOnlyList<string> queueKeys = await bed.BackStore.ListAsync($"{front0}queue-{q}");
                    Assert.Equal(["event-channel-rx", "event-channel-tx", "rx-ring-ref", "tx-ring-ref"], queueKeys.Order(StringComparer.Ordinal));
                }
            }

            // Every queue moves packets on its own rings, both ways.
            for (int q = 0; q < agreed; q++)
            {
                byte[] packet = [(byte)q, 1, 2, 3];
                Assert.True(front.Queues[q].TrySend(packet));
                var buffer = new byte[64];
                Assert.True(back.Queues[q].TryReceive(buffer, out int length));
                Assert.Equal(packet, buffer[..length]);
                Assert.True(back.Queues[q].TrySend(packet));
                Assert.True(front.Queues[q].TryReceive(buffer, out length));
                Assert.Equal(packet, buffer[..length]);
                for (int other = 0; other < agreed; other++)
                {
                    Assert.False(other != q && back.Queues[other].TryReceive(buffer, out _), $"queue {q}'s packet showed on queue {other}");
                }
            }
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("5")]
    [InlineData("many")]
    public async Task Connect_FrontWritesAQueueCountOutsideTheOffer_BackRefuses(string count)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        Task<NetBackend> backTask = bed.ConnectBackAsync(NetDeviceFeatures.All with { Queues = 4 });

        // A hand-made front that overwrites its multi-queue-num-queues choice.
        var front = new XenBusFrontend(bed.FrontStore, bed.Device, new Dictionary<XenBusFeature, uint>(), NetDeviceTestBed.Bus);
        Task<XenBusNegotiation> frontTask = front.ConnectAsync(_ => new Dictionary<string, string> { ["multi-queue-num-queues"] = count }, StoreTestHost.Bounded());

        var refused = await Assert.ThrowsAsync<XenBusNegotiationException>(() => backTask);
        Assert.Contains("multi-queue-num-queues", refused.Message, StringComparison.Ordinal);
        Assert.StartsWith("22 ", await bed.BackStore.ReadAsync(bed.Device.BackendPath + "/error"), StringComparison.Ordinal);
        await Assert.ThrowsAsync<XenBusNegotiationException>(() => frontTask);
    }

    [Fact]
    public async Task Connect_TwoQueuesOnOneRingPage_BackRefuses()
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync(queues: 2);
        Task<NetBackend> backTask = bed.ConnectBackAsync(NetDeviceFeatures.All with { Queues = 2 });
        var wants = new Dictionary<XenBusFeature, uint> { [XenBusStandardFeatures.MultiQueue] = 2, [NetifKeys.SplitEventChannels] = 1 };
        var front = new XenBusFrontend(bed.FrontStore, bed.Device, wants, NetDeviceTestBed.Bus);
        uint tx = bed.Grants.GrantAccess(0, bed.SpareFrame, readOnly: false);
        uint rx = bed.Grants.GrantAccess(0, bed.SpareFrame + 1, readOnly: false);
        uint other = bed.Grants.GrantAccess(0, bed.SpareFrame + 2, readOnly: false);
        using PvRing.Events.EventChannel txChannel = bed.FrontEvents.AllocateUnbound(0);
        using PvRing.Events.EventChannel rxChannel = bed.FrontEvents.AllocateUnbound(0);
        string Ref(uint reference) => reference.ToString(CultureInfo.InvariantCulture);
        Task<XenBusNegotiation> frontTask = front.ConnectAsync(_ => new Dictionary<string, string>
        {
            ["queue-0/tx-ring-ref"] = Ref(tx), ["queue-0/rx-ring-ref"] = Ref(rx),
            ["queue-0/event-channel-tx"] = Ref((uint)txChannel.Port), ["queue-0/event-channel-rx"] = Ref((uint)rxChannel.Port),
            ["queue-1/tx-ring-ref"] = Ref(other), ["queue-1/rx-ring-ref"] = Ref(rx), ["queue-1/event-channel-tx"] = "3", ["queue-1/event-channel-rx"] = "4",
        }, StoreTestHost.Bounded());

        var refused = await Assert.ThrowsAsync<XenBusNegotiationException>(() => backTask);
        Assert.Contains($"queue 1 uses ring grant reference {rx}, which another queue uses too", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<XenBusNegotiationException>(() => frontTask);
    }

    [Theory]
    [InlineData(true, true, 1, 1)]
    [InlineData(true, false, 1, null)] // not offered: nothing written, nothing read
    [InlineData(false, true, 1, null)] // not wanted
    [InlineData(true, true, null, null)] // the front knows no node
    public async Task Connect_NumaAffinity_TheFrontsNodeReachesTheBack(bool wanted, bool offered, int? frontNode, int? seen)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        var options = new NetFrontendOptions
        {
            Wants = NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = NetGrantModes.Copy, NumaAffinity = wanted },
            NumaNode = frontNode,
            Bus = NetDeviceTestBed.Bus,
        };
        Task<NetBackend> backTask = bed.ConnectBackAsync(NetDeviceFeatures.All with { NumaAffinity = offered });
        await using NetFrontend front = await NetFrontend.ConnectAsync(bed.FrontStore, bed.Device, bed.Grants, bed.FrontEvents, options, StoreTestHost.Bounded());
        await using NetBackend back = await backTask;
        Assert.Equal(wanted && offered, back.Features.NumaAffinity);
        Assert.Equal(seen, back.FrontendNumaNode);
        Assert.Equal(seen?.ToString(CultureInfo.InvariantCulture), await bed.BackStore.TryReadAsync(bed.Device.FrontendPath + "/numa-node"));
        Assert.Contains($"feature-numa-affinity={(wanted && offered ? 1 : 0)}", back.Features.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1024")]
    [InlineData("node0")]
    public async Task Connect_MalformedNumaNode_BackRefuses(string node)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        Task<NetBackend> backTask = bed.ConnectBackAsync(NetDeviceFeatures.All);
        var wants = new Dictionary<XenBusFeature, uint> { [NetifKeys.NumaAffinity] = 1 };
        var front = new XenBusFrontend(bed.FrontStore, bed.Device, wants, NetDeviceTestBed.Bus);
        Task<XenBusNegotiation> frontTask = front.ConnectAsync(_ => new Dictionary<string, string> { ["numa-node"] = node }, StoreTestHost.Bounded());

        var refused = await Assert.ThrowsAsync<XenBusNegotiationException>(() => backTask);
        Assert.Contains("numa-node is not a node id", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<XenBusNegotiationException>(() => frontTask);
    }

    [Theory]
    [InlineData(NetGrantModes.Persistent)]
    [InlineData(NetGrantModes.Map)]
    [InlineData(NetGrantModes.Copy)]
    public async Task Connect_OneDeviceAfterAnotherOnOneGrantDomain_NoReferenceLost(NetGrantModes mode)
    {
        // The back closes after the front has given its grants up (persistent: still mapped): they come back later,
        // so device after device on one domain never runs out (the harness's packets peer did, at 8,704 entries).
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync(queues: 2, order: 0);
        var wants = NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = mode, Queues = 2 };
        for (int round = 0; round < 20; round++)
        {
            (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All with { Queues = 2 }, wants);
            // Close with the rings full: every transmit buffer is in flight, granted to a back that never read it.
            var buffer = new byte[2000];
            foreach (NetFrontQueue queue in front.Queues)
            {
                int sent = 0;
                while (queue.TrySend(new byte[1500]))
                {
                    sent++;
                }

                Assert.True(sent >= 32, $"round {round}: only {sent} packets fit");
            }

            foreach (NetBackQueue queue in back.Queues)
            {
                Assert.True(queue.TryReceive(buffer, out int length));
                Assert.Equal(1500, length);
            }

            await bed.RecycleAsync(front, back);
        }

        _ = bed.Grants.RetryDeferredEnds();
        Assert.Equal(0, bed.Grants.DeferredEndCount);
    }

    [Fact]
    public void Validate_QueuesOutOfRange_Refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => (NetDeviceFeatures.All with { Queues = 0 }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (NetDeviceFeatures.All with { Queues = 257 }).Validate());
        (NetDeviceFeatures.All with { Queues = 256 }).Validate();

        // Each queue takes its frames' grant references: 16 queues of order 2 do not fit one table, and the message says so.
        var tooMany = Assert.Throws<ArgumentOutOfRangeException>(() => NetFrontend.DomainOptionsFor(NetDeviceFeatures.All with { Queues = 16, RingPageOrder = 2 }));
        Assert.Contains("ask for fewer queues or a lower order", tooMany.Message, StringComparison.Ordinal);
        _ = NetFrontend.DomainOptionsFor(NetDeviceFeatures.All with { Queues = 8, RingPageOrder = 2 });
    }
}
