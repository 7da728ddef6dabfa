// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.Metrics;

namespace PvRing.Store;

/// <summary>
/// The "PvRing.Store" <see cref="Meter"/>: observable instruments that read every live <see cref="XenStoreServer"/> and
/// <see cref="XenStoreClient"/> in this process when a listener collects
/// (<c>dotnet-counters monitor -p PID --counters PvRing.Store</c>). Tags: <c>side</c> (<c>server</c> or <c>client</c>),
/// <c>socket</c> (the store's socket path) and, on the operation and error counts, <c>operation</c> (the Xen name,
/// <c>READ</c>, <c>WRITE</c>, <c>TRANSACTION_START</c>...). Operations a connection never used are not reported.
/// </summary>
public static class StoreMetrics
{
    /// <summary>The meter name to watch.</summary>
    public const string MeterName = "PvRing.Store";

    private static readonly object s_lock = new();
    private static readonly List<Entry> s_entries = [];
    private static readonly Meter s_meter = new(MeterName);

    static StoreMetrics()
    {
        s_meter.CreateObservableCounter("pvring.store.operations", () => ObservePerOperation(static (c, slot) => c.Operations(slot)), "{operation}", "Requests a server handled or a client sent, by operation.");
        s_meter.CreateObservableCounter("pvring.store.errors", () => ObservePerOperation(static (c, slot) => c.Errors(slot)), "{operation}", "Requests answered with XS_ERROR (server: refused; client: failed), by operation.");
        s_meter.CreateObservableCounter("pvring.store.watch_events", () => Observe(static e => e.Counters.WatchEvents), "{event}", "Watch events a server queued or a client received.");
        s_meter.CreateObservableCounter("pvring.store.disconnects", () => Observe(static e => e.Counters.Disconnects), "{connection}", "Server: connections that ended. Client: the connection failing without being disposed.");
        s_meter.CreateObservableUpDownCounter("pvring.store.connections", () => Observe(static e => e.Connections()), "{connection}", "Server: clients connected now. Client: 1 while the connection is up.");
    }

    internal static void Register(StoreCounters counters, string side, string socket, Func<int> connections)
    {
        lock (s_lock)
        {
            s_entries.Add(new Entry(counters, side, socket, connections));
        }
    }

    internal static void Unregister(StoreCounters counters)
    {
        lock (s_lock)
        {
            s_entries.RemoveAll(e => ReferenceEquals(e.Counters, counters));
        }
    }

    private static List<Measurement<long>> Observe(Func<Entry, long> select)
    {
        lock (s_lock)
        {
            var measurements = new List<Measurement<long>>(s_entries.Count);
            foreach (Entry entry in s_entries)
            {
                measurements.Add(new Measurement<long>(select(entry), new("side", entry.Side), new KeyValuePair<string, object?>("socket", entry.Socket)));
            }

            return measurements;
        }
    }

    private static List<Measurement<long>> ObservePerOperation(Func<StoreCounters, int, long> select)
    {
        lock (s_lock)
        {
            var measurements = new List<Measurement<long>>();
            foreach (Entry entry in s_entries)
            {
                for (int slot = 0; slot < StoreCounters.OperationSlots; slot++)
                {
                    long value = select(entry.Counters, slot);
                    if (value != 0)
                    {
                        measurements.Add(new Measurement<long>(
                            value, new("side", entry.Side), new("socket", entry.Socket), new KeyValuePair<string, object?>("operation", StoreCounters.OperationName(slot))));
                    }
                }
            }

            return measurements;
        }
    }

    private sealed record Entry(StoreCounters Counters, string Side, string Socket, Func<int> Connections);
}
