// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.Metrics;

namespace PvRing.Transport;

/// <summary>
/// The "PvRing.Transport" <see cref="Meter"/>: observable counters that read every live queue's own counters when a
/// listener collects (<c>dotnet-counters monitor --counters PvRing.Transport</c>), tagged with the device, the end
/// (front or back) and the queue; and the number of live queues. Nothing is recorded on the hot path: the queues count
/// as they always did, and only a collection reads them.
/// </summary>
public static class NetMetrics
{
    /// <summary>The meter name to watch.</summary>
    public const string MeterName = "PvRing.Transport";

    private static readonly object s_lock = new();
    private static readonly List<Entry> s_queues = [];
    private static readonly Meter s_meter = new(MeterName);

    static NetMetrics()
    {
        s_meter.CreateObservableCounter("pvring.net.packets_sent", () => Observe(static q => q.PacketsSent), "{packet}", "Packets a queue end sent.");
        s_meter.CreateObservableCounter("pvring.net.packets_received", () => Observe(static q => q.PacketsReceived), "{packet}", "Packets a queue end received and validated.");
        s_meter.CreateObservableCounter("pvring.net.bytes_sent", () => Observe(static q => q.BytesSent), "By", "Packet bytes a queue end sent.");
        s_meter.CreateObservableCounter("pvring.net.bytes_received", () => Observe(static q => q.BytesReceived), "By", "Packet bytes a queue end received.");
        s_meter.CreateObservableCounter("pvring.net.transmit_errors", () => Observe(static q => q.TransmitErrors), "{packet}", "Transmit responses other than NETIF_RSP_OKAY (the front's).");
        s_meter.CreateObservableCounter("pvring.net.flushes", () => Observe(static q => q.Flushes), "{flush}", "Deferred-unmap flushes (requested by the front, performed by the back).");
        s_meter.CreateObservableUpDownCounter("pvring.net.queues", CountQueues, "{queue}", "Live queues of connected devices in this process.");
    }

    // The queue's two rings go into the "PvRing.Rings" meter with the same tags; disposing a ring takes it out.
    internal static void Register(string device, NetFrontQueue queue, int index)
    {
        queue.TransmitRing.EnableMetrics(device, index, "tx");
        queue.ReceiveRing.EnableMetrics(device, index, "rx");
        Add(new Entry(device, "front", index, queue, null));
    }

    internal static void Register(string device, NetBackQueue queue, int index)
    {
        queue.TransmitRing.EnableMetrics(device, index, "tx");
        queue.ReceiveRing.EnableMetrics(device, index, "rx");
        Add(new Entry(device, "back", index, null, queue));
    }

    internal static void Unregister(object queue)
    {
        lock (s_lock)
        {
            s_queues.RemoveAll(e => ReferenceEquals(e.Front, queue) || ReferenceEquals(e.Back, queue));
        }
    }

    private static void Add(Entry entry)
    {
        lock (s_lock)
        {
            s_queues.Add(entry);
        }
    }

    private static int CountQueues()
    {
        lock (s_lock)
        {
            return s_queues.Count;
        }
    }

    private static List<Measurement<long>> Observe(Func<Counters, long> select)
    {
        lock (s_lock)
        {
            var measurements = new List<Measurement<long>>(s_queues.Count);
            foreach (Entry entry in s_queues)
            {
                measurements.Add(new Measurement<long>(
                    select(entry.Read()),
                    new KeyValuePair<string, object?>("device", entry.Device),
                    new KeyValuePair<string, object?>("end", entry.End),
                    new KeyValuePair<string, object?>("queue", entry.Index)));
            }

            return measurements;
        }
    }

    private readonly record struct Counters(long PacketsSent, long PacketsReceived, long BytesSent, long BytesReceived, long TransmitErrors, long Flushes);

    private sealed record Entry(string Device, string End, int Index, NetFrontQueue? Front, NetBackQueue? Back)
    {
        // The queue's own fields, written by its one sender and one receiver; a 64-bit read of each is whole on x64 and arm64.
        public Counters Read() => Front is NetFrontQueue f
            ? new Counters(f.PacketsSent, f.PacketsReceived, f.BytesSent, f.BytesReceived, f.TransmitErrors, f.FlushesRequested)
            : new Counters(Back!.PacketsSent, Back.PacketsReceived, Back.BytesSent, Back.BytesReceived, 0, Back.Flushes);
    }
}
