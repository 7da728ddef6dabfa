// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.Metrics;

namespace PvRing.Rings;

/// <summary>
/// The "PvRing.Rings" <see cref="Meter"/>: observable counters that read each tracked ring end when a listener collects
/// (<c>dotnet-counters monitor -p PID --counters PvRing.Rings</c>), tagged with the device, the queue, the ring's name
/// (<c>tx</c>, <c>rx</c>) and the end (<c>front</c> or <c>back</c>). A ring is tracked from
/// <see cref="FrontRing{TRequest, TResponse}.EnableMetrics"/> (or the back's) until it is disposed; the transport's
/// queues enable theirs. Nothing is recorded on the hot path for the slot counts: they are the rings' own private
/// indices, widened here to 64 bits; the rings count batches in their own fields.
/// </summary>
public static class RingMetrics
{
    /// <summary>The meter name to watch.</summary>
    public const string MeterName = "PvRing.Rings";

    // An index wraps after 2^32 slots, 25 s at 170 M slots/s; sampling every 5 s sees every wrap.
    private static readonly TimeSpan s_samplePeriod = TimeSpan.FromSeconds(5);

    private static readonly object s_lock = new();
    private static readonly List<Entry> s_rings = [];
    private static readonly Meter s_meter = new(MeterName);
    private static readonly Timer s_sampler = new(static _ => Sample(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    static RingMetrics()
    {
        s_meter.CreateObservableCounter("pvring.rings.published", () => Observe(static e => e.Produced), "{slot}", "Slots a ring end produced and published: requests at the front, responses at the back.");
        s_meter.CreateObservableCounter("pvring.rings.publishes", () => Observe(static e => e.Ring.ReadCounters().Publishes), "{batch}", "Publish calls (index stores); published / publishes is the mean batch.");
        s_meter.CreateObservableCounter("pvring.rings.consumed", () => Observe(static e => e.Consumed), "{slot}", "Slots a ring end consumed: responses at the front, requests at the back.");
        s_meter.CreateObservableCounter("pvring.rings.consume_batches", () => Observe(static e => e.Ring.ReadCounters().ConsumeBatches), "{batch}", "Consume calls that took at least one slot; consumed / consume_batches is the mean batch.");
        s_meter.CreateObservableCounter("pvring.rings.full", () => Observe(static e => e.Ring.ReadCounters().Full), "{event}", "Publishes by the front that left the request ring with no free slot.");
        s_meter.CreateObservableUpDownCounter("pvring.rings.rings", CountRings, "{ring}", "Ring ends tracked in this process.");
    }

    internal static void Register(IRingMetricsSource ring, string device, int queue, string name, string end)
    {
        lock (s_lock)
        {
            s_rings.RemoveAll(e => ReferenceEquals(e.Ring, ring));
            s_rings.Add(new Entry(ring, device, queue, name, end));
            if (s_rings.Count == 1)
            {
                s_sampler.Change(s_samplePeriod, s_samplePeriod);
            }
        }
    }

    internal static void Unregister(IRingMetricsSource ring)
    {
        lock (s_lock)
        {
            s_rings.RemoveAll(e => ReferenceEquals(e.Ring, ring));
            if (s_rings.Count == 0)
            {
                s_sampler.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private static void Sample()
    {
        lock (s_lock)
        {
            foreach (Entry entry in s_rings)
            {
                entry.Sample();
            }
        }
    }

    private static int CountRings()
    {
        lock (s_lock)
        {
            return s_rings.Count;
        }
    }

    private static List<Measurement<long>> Observe(Func<Entry, long> select)
    {
        lock (s_lock)
        {
            var measurements = new List<Measurement<long>>(s_rings.Count);
            foreach (Entry entry in s_rings)
            {
                entry.Sample();
                measurements.Add(new Measurement<long>(
                    select(entry),
                    new KeyValuePair<string, object?>("device", entry.Device),
                    new KeyValuePair<string, object?>("queue", entry.Queue),
                    new KeyValuePair<string, object?>("ring", entry.Name),
                    new KeyValuePair<string, object?>("end", entry.End)));
            }

            return measurements;
        }
    }

    /// <summary>A tracked ring and its indices widened to 64 bits (under <see cref="s_lock"/>).</summary>
    private sealed class Entry(IRingMetricsSource ring, string device, int queue, string name, string end)
    {
        // Counting from the ring's creation (EnableMetrics comes before 2^32 slots have gone by).
        private uint _producer = ring.ReadCounters().StartIndex;
        private uint _consumer = ring.ReadCounters().StartIndex;

        public IRingMetricsSource Ring => ring;

        public string Device => device;

        public int Queue => queue;

        public string Name => name;

        public string End => end;

        public long Produced { get; private set; }

        public long Consumed { get; private set; }

        public void Sample()
        {
            uint producer = ring.ProducerIndex;
            uint consumer = ring.ConsumerIndex;
            Produced += RingIndex.Distance(_producer, producer);
            Consumed += RingIndex.Distance(_consumer, consumer);
            _producer = producer;
            _consumer = consumer;
        }
    }
}
