// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.Metrics;

namespace PvRing.Events;

/// <summary>
/// The "PvRing.Events" <see cref="Meter"/>: observable counters that read the live channels' counter fields
/// when a listener (<c>dotnet-counters monitor --counters PvRing.Events</c>) collects, tagged with the domain
/// and port. Nothing is recorded on the hot path.
/// </summary>
internal static class EventMetrics
{
    /// <summary>The meter name to watch.</summary>
    internal const string MeterName = "PvRing.Events";

    private static readonly object s_lock = new();
    private static readonly List<EventChannel> s_channels = [];
    private static readonly Meter s_meter = new(MeterName);

    static EventMetrics()
    {
        s_meter.CreateObservableCounter("pvring.events.notifications_sent", () => Observe(c => c.NotificationsSent), "{notification}", "Notify calls on bound channels.");
        s_meter.CreateObservableCounter("pvring.events.notifications_coalesced", () => Observe(c => c.NotificationsCoalesced), "{notification}", "Notifications that found the port already pending.");
        s_meter.CreateObservableCounter("pvring.events.wake_ups", () => Observe(c => c.WakeUps), "{wake-up}", "Sleeping waits woken before their timeout.");
        s_meter.CreateObservableCounter("pvring.events.spurious_wake_ups", () => Observe(c => c.SpuriousWakeUps), "{wake-up}", "Wake-ups that found no event.");
        s_meter.CreateObservableCounter("pvring.events.system_calls", () => Observe(c => c.SystemCalls), "{call}", "Futex system calls.");
        s_meter.CreateObservableCounter("pvring.events.blocks", () => Observe(c => c.Blocks), "{wait}", "Waits that went to sleep in the kernel.");
    }

    internal static void Register(EventChannel channel)
    {
        lock (s_lock)
        {
            s_channels.Add(channel);
        }
    }

    internal static void Unregister(EventChannel channel)
    {
        lock (s_lock)
        {
            s_channels.Remove(channel);
        }
    }

    private static List<Measurement<long>> Observe(Func<EventChannelCounters, long> select)
    {
        lock (s_lock)
        {
            var measurements = new List<Measurement<long>>(s_channels.Count);
            foreach (EventChannel channel in s_channels)
            {
                measurements.Add(new Measurement<long>(
                    select(channel.Counters),
                    new KeyValuePair<string, object?>("domain", (int)channel.DomainId),
                    new KeyValuePair<string, object?>("port", channel.Port)));
            }

            return measurements;
        }
    }
}
