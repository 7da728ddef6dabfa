// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.Metrics;

namespace PvRing.Grants;

/// <summary>
/// The "PvRing.Grants" <see cref="Meter"/>: observable counters that read each live grant domain's counters when a
/// listener collects (<c>dotnet-counters monitor -p PID --counters PvRing.Grants</c>). A <see cref="GrantDomain"/> (the
/// granter, <c>end=granter</c>) reports grants issued and ended and the references in use; a <see cref="ForeignDomain"/>
/// (the grantee, <c>end=grantee</c>) reports maps, unmaps, copies, copied bytes and deferred-unmap flushes. Tags:
/// <c>domain</c> (the granting domain's id), <c>grantee</c> (the mapping domain's id; absent at the granter) and
/// <c>end</c>. A domain is tracked from its creation to its disposal.
/// </summary>
public static class GrantMetrics
{
    /// <summary>The meter name to watch.</summary>
    public const string MeterName = "PvRing.Grants";

    private static readonly object s_lock = new();
    private static readonly List<Entry> s_domains = [];
    private static readonly Meter s_meter = new(MeterName);

    static GrantMetrics()
    {
        s_meter.CreateObservableCounter("pvring.grants.issued", () => Observe(granter: true, static (c, _) => Volatile.Read(ref c.Issued)), "{grant}", "References granted (re-grants included).");
        s_meter.CreateObservableCounter("pvring.grants.ended", () => Observe(granter: true, static (c, _) => Volatile.Read(ref c.Ended)), "{grant}", "References whose access was ended.");
        s_meter.CreateObservableUpDownCounter("pvring.grants.deferred_ends", () => Observe(granter: true, static (_, e) => e.DeferredEnds()), "{grant}", "References waiting for the grantee to let go before their access can end.");
        s_meter.CreateObservableCounter("pvring.grants.maps", () => Observe(granter: false, static (c, _) => Volatile.Read(ref c.Maps)), "{page}", "Granted pages mapped into this process.");
        s_meter.CreateObservableCounter("pvring.grants.unmaps", () => Observe(granter: false, static (c, _) => Volatile.Read(ref c.Unmaps)), "{page}", "Granted pages unmapped.");
        s_meter.CreateObservableCounter("pvring.grants.copies", () => Observe(granter: false, static (c, _) => Volatile.Read(ref c.Copies)), "{copy}", "Grant copies (the copy scheme's GNTTABOP_copy-style reads and writes).");
        s_meter.CreateObservableCounter("pvring.grants.copied_bytes", () => Observe(granter: false, static (c, _) => Volatile.Read(ref c.CopiedBytes)), "By", "Bytes moved by grant copies.");
        s_meter.CreateObservableCounter("pvring.grants.flushes", () => Observe(granter: false, static (c, _) => Volatile.Read(ref c.Flushes)), "{flush}", "Deferred-unmap flushes performed (each unmaps a batch of pages).");
    }

    internal static void Register(GrantDomain domain) => Add(new Entry(domain.Counters, domain.DomainId, null, () => domain.DeferredEndCount));

    internal static void Register(ForeignDomain domain) => Add(new Entry(domain.Counters, domain.DomainId, domain.LocalDomainId, null));

    internal static void Unregister(GrantCounters counters)
    {
        lock (s_lock)
        {
            s_domains.RemoveAll(e => ReferenceEquals(e.Counters, counters));
        }
    }

    private static void Add(Entry entry)
    {
        lock (s_lock)
        {
            s_domains.Add(entry);
        }
    }

    private static List<Measurement<long>> Observe(bool granter, Func<GrantCounters, Entry, long> select)
    {
        lock (s_lock)
        {
            var measurements = new List<Measurement<long>>(s_domains.Count);
            foreach (Entry entry in s_domains)
            {
                if ((entry.Grantee is null) != granter)
                {
                    continue;
                }

                long value = select(entry.Counters, entry);
                measurements.Add(entry.Grantee is int grantee
                    ? new Measurement<long>(value, new("domain", entry.Domain), new("grantee", grantee), new("end", "grantee"))
                    : new Measurement<long>(value, new("domain", entry.Domain), new KeyValuePair<string, object?>("end", "granter")));
            }

            return measurements;
        }
    }

    private sealed record Entry(GrantCounters Counters, int Domain, int? Grantee, Func<int>? DeferredEndCount)
    {
        public long DeferredEnds() => DeferredEndCount?.Invoke() ?? 0;
    }
}
