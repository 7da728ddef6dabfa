// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.Metrics;

namespace PvRing.Rings;

/// <summary>
/// The "PvRing.Rings" <see cref="Meter"/>: observable counters that read each tracked ring end's own counters when a
/// listener collects (<c>dotnet-counters monitor -p PID --counters PvRing.Rings</c>), tagged with the device, the queue,
/// the ring's name (<c>tx</c>, <c>rx</c>) and the end (<c>front</c> or <c>back</c>). A ring is tracked from
/// <see cref="FrontRing{TRequest, TResponse}.EnableMetrics"/> (or the back's) until it is disposed; the transport's
/// queues enable theirs. Nothing is recorded on the hot path: the rings count in their own fields, once per batch.
/// </summary>
public static class RingMetrics
{
    /// <summary>The meter name to watch.</summary>
    public const string MeterName = "PvRing.Rings";

    private static readonly object s_lock = new();
    private static readonly List<Entry> s_rings = [];
    private static readonly Meter s_meter = new(MeterName);

    static RingMetrics()
    {
        s_meter.CreateObservableCounter("pvring.rings.published", () => Observe(static c => c.Published), "{slot}", "Slots a ring end published: requests at the front, responses at the back.");
        s_meter.CreateObservableCounter("pvring.rings.publishes", () => Observe(static c => c.Publishes), "{batch}", "Index stores that published at least one slot (published / publishes = mean batch).");
        s_meter.CreateObservableCounter("pvring.rings.consumed", () => Observe(static c => c.Consumed), "{slot}", "Slots a ring end consumed: responses at the front, requests at the back.");
        s_meter.CreateObservableCounter("pvring.rings.consume_batches", () => Observe(static c => c.ConsumeBatches), "{batch}", "Consume calls that took at least one slot (consumed / consume_batches = mean batch).");
        s_meter.CreateObservableCounter("pvring.rings.full", () => Observe(static c => c.Full), "{event}", "Publishes by the front that left the request ring with no free slot.");
        s_meter.CreateObservableUpDownCounter("pvring.rings.rings", CountRings, "{ring}", "Ring ends tracked in this process.");
    }

    internal static void Register(IRingMetricsSource ring, string device, int queue, string name, string end)
    {
        lock (s_lock)
        {
            s_rings.RemoveAll(e => ReferenceEquals(e.Ring, ring));
            s_rings.Add(new Entry(ring, device, queue, name, end));
        }
    }

    internal static void Unregister(IRingMetricsSource ring)
    {
        lock (s_lock)
        {
            s_rings.RemoveAll(e => ReferenceEquals(e.Ring, ring));
        }
    }

    private static int CountRings()
    {
        lock (s_lock)
        {
            return s_rings.Count;
        }
    }

    private static List<Measurement<long>> Observe(Func<RingCounters, long> select)
    {
        lock (s_lock)
        {
            var measurements = new List<Measurement<long>>(s_rings.Count);
            foreach (Entry entry in s_rings)
            {
                measurements.Add(new Measurement<long>(
                    select(entry.Ring.ReadCounters()),
                    new KeyValuePair<string, object?>("device", entry.Device),
                    new KeyValuePair<string, object?>("queue", entry.Queue),
                    new KeyValuePair<string, object?>("ring", entry.Name),
                    new KeyValuePair<string, object?>("end", entry.End)));
            }

            return measurements;
        }
    }

    private sealed record Entry(IRingMetricsSource Ring, string Device, int Queue, string Name, string End);
}
