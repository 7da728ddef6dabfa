// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.Metrics;

namespace PvRing.Grants;

/// <summary>
/// The "PvRing.Grants" <see cref="Meter"/>: observable counters that read each live grant domain's counters when a
/// listener collects (<c>dotnet-counters monitor -p PID --counters PvRing.Grants</c>). A <see cref="GrantDomain"/> (the
/// granter, <c>end=granter</c>) reports grants issued and ended and the references in use; a <see cref="ForeignDomain"/>
/// (the grantee, <c>end=grantee</c>) reports maps, unmaps, copies, copied bytes and deferred-unmap flushes. Tags:
/// <c>domain</c> (the granting domain's id), <c>grantee</c> (the mapping domain's id; absent at the granter) and
/// <c>end</c>; what a user with counters of its own counted (<see cref="GrantUserCounters"/>: the transport gives each
/// queue's grants and mappers one) is reported apart, with its <c>device</c> and <c>queue</c> tags too, and the domain's
/// untagged series has the rest, so the series of a domain add up to its total. A domain is tracked from its creation to
/// its disposal, a user's counters until they are disposed.
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
        s_meter.CreateObservableUpDownCounter("pvring.grants.deferred_ends", () => Observe(granter: true, static (_, e) => e.DeferredEnds(), domainsOnly: true), "{grant}", "References waiting for the grantee to let go before their access can end.");
        s_meter.CreateObservableCounter("pvring.grants.maps", () => Observe(granter: false, static (c, _) => Volatile.Read(ref c.Maps)), "{page}", "Granted pages mapped into this process.");
        s_meter.CreateObservableCounter("pvring.grants.unmaps", () => Observe(granter: false, static (c, _) => Volatile.Read(ref c.Unmaps)), "{page}", "Granted pages unmapped.");
        s_meter.CreateObservableCounter("pvring.grants.copies", () => Observe(granter: false, static (c, _) => Volatile.Read(ref c.Copies)), "{copy}", "Grant copies (the copy scheme's GNTTABOP_copy-style reads and writes).");
        s_meter.CreateObservableCounter("pvring.grants.copied_bytes", () => Observe(granter: false, static (c, _) => Volatile.Read(ref c.CopiedBytes)), "By", "Bytes moved by grant copies.");
        s_meter.CreateObservableCounter("pvring.grants.flushes", () => Observe(granter: false, static (c, _) => Volatile.Read(ref c.Flushes)), "{flush}", "Deferred-unmap flushes performed (each unmaps a batch of pages).");
    }

    internal static void Register(GrantDomain domain) => Add(new Entry(domain.Counters, domain.DomainId, null, () => domain.DeferredEndCount, null, 0));

    internal static void Register(ForeignDomain domain) => Add(new Entry(domain.Counters, domain.DomainId, domain.LocalDomainId, null, null, 0));

    internal static void Register(GrantUserCounters user, int domain, int? grantee) =>
        Add(new Entry(user.Counters, domain, grantee, null, user.Device, user.Queue));

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

    private static List<Measurement<long>> Observe(bool granter, Func<GrantCounters, Entry, long> select, bool domainsOnly = false)
    {
        lock (s_lock)
        {
            var measurements = new List<Measurement<long>>(s_domains.Count);
            foreach (Entry entry in s_domains)
            {
                if ((entry.Grantee is null) != granter || (domainsOnly && entry.Device is not null))
                {
                    continue;
                }

                measurements.Add(new Measurement<long>(select(entry.Counters, entry), entry.Tags));
            }

            return measurements;
        }
    }

    /// <summary>One tracked domain (<see cref="Device"/> null) or user of a domain, with its tags built once.</summary>
    private sealed record Entry(GrantCounters Counters, int Domain, int? Grantee, Func<int>? DeferredEndCount, string? Device, int Queue)
    {
        public KeyValuePair<string, object?>[] Tags { get; } = BuildTags(Domain, Grantee, Device, Queue);

        public long DeferredEnds() => DeferredEndCount?.Invoke() ?? 0;

        private static KeyValuePair<string, object?>[] BuildTags(int domain, int? grantee, string? device, int queue)
        {
            var tags = new List<KeyValuePair<string, object?>>(5) { new("domain", domain) };
            if (grantee is int mapping)
            {
                tags.Add(new("grantee", mapping));
            }

            tags.Add(new("end", grantee is null ? "granter" : "grantee"));
            if (device is not null)
            {
                tags.Add(new("device", device));
                tags.Add(new("queue", queue));
            }

            return [.. tags];
        }
    }
}
