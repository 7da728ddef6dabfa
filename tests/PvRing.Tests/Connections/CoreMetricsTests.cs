// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.Metrics;
using PvRing.Tests.Infrastructure;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Store;
using PvRing.Transport;

namespace PvRing.Tests.Connections;

/// <summary>
/// The "PvRing.Rings", "PvRing.Grants" and "PvRing.Store" meters, read with a <see cref="MeterListener"/> while a real
/// exchange runs through the application API: every instrument is published and reports this connection's counts.
/// </summary>
public sealed class CoreMetricsTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    private static readonly string[] s_meters = [RingMetrics.MeterName, GrantMetrics.MeterName, StoreMetrics.MeterName];

    [Theory]
    [InlineData(NetGrantModes.Persistent)]
    [InlineData(NetGrantModes.Copy)]
    public async Task Collect_DuringExchange_EveryInstrumentReportsTheConnection(NetGrantModes mode)
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("core-metrics", new() { Host = host.Host });
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync(
            "core-metrics", new() { Host = host.Host, Wants = PvRingConnectionOptions.DefaultWants with { GrantModes = mode } });
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        await using PvRingConnection front = await connecting.WaitAsync(s_bound);
        // More than a refill batch (64 receive buffers): the front reclaims answered buffers, and so ends their grants in
        // copy mode, a batch at a time rather than per packet.
        const int Packets = 100;
        const int Size = 1000;
        var buffer = new byte[Size];
        for (int i = 0; i < Packets; i++)
        {
            await front.SendAsync(new byte[Size]);
            Assert.Equal(Size, await back.ReceiveAsync(buffer).AsTask().WaitAsync(s_bound));
            await back.SendAsync(new byte[Size]);
            Assert.Equal(Size, await front.ReceiveAsync(buffer).AsTask().WaitAsync(s_bound));
        }

        (HashSet<string> published, List<Seen> seen) = Collect();

        string[] expected =
        [
            "pvring.rings.published", "pvring.rings.publishes", "pvring.rings.consumed", "pvring.rings.consume_batches", "pvring.rings.full", "pvring.rings.rings",
            "pvring.grants.issued", "pvring.grants.ended", "pvring.grants.deferred_ends", "pvring.grants.maps", "pvring.grants.unmaps",
            "pvring.grants.copies", "pvring.grants.copied_bytes", "pvring.grants.flushes",
            "pvring.store.operations", "pvring.store.errors", "pvring.store.watch_events", "pvring.store.disconnects", "pvring.store.connections",
        ];
        Assert.All(expected, name => Assert.Contains(name, published));

        // Rings: the connection's four rings (tx and rx at each end), tagged with its device and queue 0. Other tests'
        // connections may carry the same device name (each host directory numbers its domains from 1), so each check
        // asks for a ring with at least this exchange's counts.
        string device = front.DeviceName;
        bool Ring(string instrument, string end, string ring, long atLeast) =>
            seen.Any(m => m.Instrument == instrument && m.Value >= atLeast && Equals(m.Tag("device"), device) && Equals(m.Tag("end"), end) && Equals(m.Tag("ring"), ring) && Equals(m.Tag("queue"), 0));
        Assert.True(Ring("pvring.rings.published", "front", "tx", Packets));
        Assert.True(Ring("pvring.rings.publishes", "front", "tx", 1));
        Assert.True(Ring("pvring.rings.consumed", "back", "tx", Packets));
        Assert.True(Ring("pvring.rings.consume_batches", "back", "tx", 1));
        Assert.True(Ring("pvring.rings.published", "back", "tx", Packets));
        Assert.True(Ring("pvring.rings.consumed", "front", "tx", 0)); // the front collects transmit responses only when it needs their slots
        Assert.True(Ring("pvring.rings.published", "front", "rx", 1)); // buffers posted for the back's packets
        Assert.True(Ring("pvring.rings.consumed", "front", "rx", Packets));
        Assert.True(Ring("pvring.rings.published", "back", "rx", Packets));
        Assert.True(Ring("pvring.rings.full", "front", "tx", 0));
        Assert.Contains(seen, m => m is { Instrument: "pvring.rings.rings", Value: >= 4 });

        // Grants: the front's queue granted its buffers; the back's queue mapped them once (persistent) or copied every
        // packet (copy): counted as the queue's, tagged with the device and queue 0 beside the domains.
        bool Grant(string instrument, string end, long atLeast) =>
            seen.Any(m => m.Instrument == instrument && m.Value >= atLeast && Equals(m.Tag("end"), end) && Equals(m.Tag("device"), device) && Equals(m.Tag("queue"), 0)
                && m.Tag("domain") is int && (end == "granter" || m.Tag("grantee") is int));
        Assert.True(Grant("pvring.grants.issued", "granter", 1));
        if (mode == NetGrantModes.Copy)
        {
            Assert.True(Grant("pvring.grants.copies", "grantee", 2 * Packets));
            Assert.True(Grant("pvring.grants.copied_bytes", "grantee", 2 * Packets * Size));
            Assert.True(Grant("pvring.grants.ended", "granter", 1));
        }
        else
        {
            Assert.True(Grant("pvring.grants.maps", "grantee", 1));
        }

        // The rings' own grants are the domain's, in its untagged series (no device, no queue).
        Assert.Contains(seen, m => m is { Instrument: "pvring.grants.issued", Value: > 0 } && Equals(m.Tag("end"), "granter") && m.Tag("device") is null && m.Tag("queue") is null);
        Assert.DoesNotContain(seen, m => m.Instrument == "pvring.grants.deferred_ends" && m.Tag("device") is not null);

        // Store: the listener's in-process server handled writes and fired watches for the negotiation; clients sent them.
        Assert.Contains(seen, m => m is { Instrument: "pvring.store.operations", Value: > 0 } && Equals(m.Tag("side"), "server") && Equals(m.Tag("operation"), "WRITE"));
        Assert.Contains(seen, m => m is { Instrument: "pvring.store.operations", Value: > 0 } && Equals(m.Tag("side"), "client") && Equals(m.Tag("operation"), "WATCH"));
        Assert.Contains(seen, m => m is { Instrument: "pvring.store.watch_events", Value: > 0 } && Equals(m.Tag("side"), "server"));
        Assert.Contains(seen, m => m is { Instrument: "pvring.store.connections", Value: >= 1 } && Equals(m.Tag("side"), "server"));
    }

    [Fact]
    public void EnableMetrics_ThenDispose_RingCountsThenLeavesTheMeter()
    {
        using var host = new TempHost();
        using SharedMemoryFile memory = host.Host.CreateFile("metrics-ring", XenPage.Size);
        using var front = FrontRing<NetifTxRequest, NetifTxResponse>.Initialize(memory, RingVariant.Classic());
        using var back = BackRing<NetifTxRequest, NetifTxResponse>.Attach(memory, RingVariant.Classic(), 0);
        string device = "test/ring/" + Guid.NewGuid().ToString("N");
        front.EnableMetrics(device, 3, "tx");
        back.EnableMetrics(device, 3, "tx");
        using (SlotBatch<NetifTxRequest> batch = front.ClaimRequests(front.Size))
        {
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i] = new NetifTxRequest { Id = (ushort)i };
            }
        }

        var requests = new NetifTxRequest[front.Size];
        Assert.Equal(front.Size, back.ConsumeRequests(requests));

        List<Seen> seen = Collect().Seen.Where(m => Equals(m.Tag("device"), device)).ToList();
        Assert.Contains(seen, m => m is { Instrument: "pvring.rings.published" } && m.Value == front.Size && Equals(m.Tag("end"), "front") && Equals(m.Tag("queue"), 3));
        Assert.Contains(seen, m => m is { Instrument: "pvring.rings.publishes", Value: 1 } && Equals(m.Tag("end"), "front"));
        Assert.Contains(seen, m => m is { Instrument: "pvring.rings.full", Value: 1 } && Equals(m.Tag("end"), "front"));
        Assert.Contains(seen, m => m is { Instrument: "pvring.rings.consumed" } && m.Value == front.Size && Equals(m.Tag("end"), "back"));
        Assert.Contains(seen, m => m is { Instrument: "pvring.rings.consume_batches", Value: 1 } && Equals(m.Tag("end"), "back"));

        front.Dispose();
        back.Dispose();
        Assert.DoesNotContain(Collect().Seen, m => Equals(m.Tag("device"), device));
    }

    [Fact]
    public void GrantUserCounters_GrantAndCopy_CountedApartWithDeviceAndQueueThenLeaveTheMeter()
    {
        using var domains = new PvRing.Tests.Grants.GrantTestDomains(arenaFrames: 4);
        string device = "test/grants/" + Guid.NewGuid().ToString("N");
        using var granter = new GrantUserCounters(domains.Front, device, 2);
        using var grantee = new GrantUserCounters(domains.Foreign, device, 2);
        using var copier = new GrantCopier(domains.Foreign, counters: grantee);
        uint untagged = domains.Front.GrantAccess(PvRing.Tests.Grants.GrantTestDomains.BackId, 0, readOnly: true);
        uint tagged = domains.Front.GrantAccess(PvRing.Tests.Grants.GrantTestDomains.BackId, 1, readOnly: true, granter);
        var buffer = new byte[100];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(GrantStatus.Okay, copier.Read(tagged, 0, buffer));
        }

        Assert.True(domains.Front.TryEndAccess(tagged, granter));
        Assert.True(domains.Front.TryEndAccess(untagged));

        List<Seen> seen = Collect().Seen;
        List<Seen> queue = seen.Where(m => Equals(m.Tag("device"), device)).ToList();
        Assert.All(queue, m => Assert.Equal(2, m.Tag("queue")));
        Assert.Contains(queue, m => m is { Instrument: "pvring.grants.issued", Value: 1 } && Equals(m.Tag("end"), "granter") && Equals(m.Tag("domain"), 1));
        Assert.Contains(queue, m => m is { Instrument: "pvring.grants.ended", Value: 1 } && Equals(m.Tag("end"), "granter"));
        Assert.Contains(queue, m => m is { Instrument: "pvring.grants.copies", Value: 3 } && Equals(m.Tag("end"), "grantee") && Equals(m.Tag("grantee"), 0));
        Assert.Contains(queue, m => m is { Instrument: "pvring.grants.copied_bytes", Value: 300 } && Equals(m.Tag("end"), "grantee"));
        Assert.DoesNotContain(queue, m => m.Instrument == "pvring.grants.deferred_ends");

        // Counters of one domain are refused by another's calls.
        using var other = new PvRing.Tests.Grants.GrantTestDomains(arenaFrames: 4);
        Assert.Throws<ArgumentException>(() => other.Front.GrantAccess(PvRing.Tests.Grants.GrantTestDomains.BackId, 0, readOnly: true, granter));
        Assert.Throws<ArgumentException>(() => new GrantCopier(other.Foreign, counters: grantee));
        Assert.Throws<ArgumentException>(() => GrantMapperFactory.Create(GrantScheme.Map, other.Foreign, 4, counters: granter));

        granter.Dispose();
        grantee.Dispose();
        Assert.DoesNotContain(Collect().Seen, m => Equals(m.Tag("device"), device));
    }

    private static (HashSet<string> Published, List<Seen> Seen) Collect()
    {
        var published = new HashSet<string>();
        var seen = new List<Seen>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, l) =>
        {
            if (s_meters.Contains(instrument.Meter.Name))
            {
                lock (published)
                {
                    published.Add(instrument.Name);
                }

                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            lock (seen)
            {
                seen.Add(new Seen(instrument.Name, value, copy));
            }
        }

        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        meters.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        meters.Start();
        meters.RecordObservableInstruments();
        return (published, seen);
    }

    private sealed record Seen(string Instrument, long Value, Dictionary<string, object?> Tags)
    {
        public object? Tag(string name) => Tags.GetValueOrDefault(name);
    }
}
