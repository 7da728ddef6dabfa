// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.Metrics;
using PvRing.Grants;
using PvRing.Tests.Infrastructure;
using PvRing.Transport;

namespace PvRing.Tests.Connections;

/// <summary>
/// The "PvRing.Transport" meter: every live queue's counters, read when a listener collects, tagged by device, end and
/// queue; the queue's "PvRing.Grants" series carry the same device and queue.
/// </summary>
public sealed class NetMetricsTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Collect_AfterPackets_EachEndsCountersWithItsTags_AndGoneAfterDispose()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("metrics", new() { Host = host.Host });
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("metrics", new() { Host = host.Host });
        PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        PvRingConnection front = await connecting.WaitAsync(s_bound);
        const int Size = 777; // five of them: 3,885 bytes, a count no other test's queue has
        var buffer = new byte[Size];
        for (int i = 0; i < 5; i++)
        {
            await front.SendAsync(new byte[Size]);
            Assert.Equal(Size, await back.ReceiveAsync(buffer).AsTask().WaitAsync(s_bound));
        }

        List<(string Instrument, long Value, string? End, object? Queue, object? Device)> seen = Collect();
        Assert.Contains(seen, m => m is { Instrument: "pvring.net.bytes_sent", Value: 5 * Size, End: "front" } && Equals(m.Queue, 0));
        Assert.Contains(seen, m => m is { Instrument: "pvring.net.bytes_received", Value: 5 * Size, End: "back" } && Equals(m.Queue, 0));
        (string _, long _, string? _, object? _, object? device) = seen.First(m => m is { Instrument: "pvring.net.bytes_sent", Value: 5 * Size, End: "front" });
        Assert.Contains("vif", device?.ToString(), StringComparison.Ordinal);
        Assert.Contains(seen, m => m.Instrument == "pvring.net.queues" && m.Value >= 2);

        // The queue's grants carry the same device and queue: the front's buffer grants, the back's persistent maps.
        Assert.Contains(seen, m => m is { Instrument: "pvring.grants.issued", Value: > 0, End: "granter" } && Equals(m.Queue, 0) && Equals(m.Device, device));
        Assert.Contains(seen, m => m is { Instrument: "pvring.grants.maps", Value: > 0, End: "grantee" } && Equals(m.Queue, 0) && Equals(m.Device, device));

        await front.DisposeAsync();
        await back.DisposeAsync();
        Assert.DoesNotContain(Collect(), m => m is { Instrument: "pvring.net.bytes_sent", Value: 5 * Size, End: "front" } && Equals(m.Device, device));
    }

    private static List<(string Instrument, long Value, string? End, object? Queue, object? Device)> Collect()
    {
        var seen = new List<(string, long, string?, object?, object?)>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name is NetMetrics.MeterName or GrantMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? end = null;
            object? queue = null;
            object? device = null;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                end = tag.Key == "end" ? (string?)tag.Value : end;
                queue = tag.Key == "queue" ? tag.Value : queue;
                device = tag.Key == "device" ? tag.Value : device;
            }

            lock (seen)
            {
                seen.Add((instrument.Name, value, end, queue, device));
            }
        }

        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        meters.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        meters.Start();
        meters.RecordObservableInstruments();
        return seen;
    }
}
