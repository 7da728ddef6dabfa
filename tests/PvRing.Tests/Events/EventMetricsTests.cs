// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.Metrics;

namespace PvRing.Tests.Events;

public sealed class EventMetricsTests
{
    [Fact]
    public void Meter_Collected_ReportsPerChannelNotifications()
    {
        using var pair = new ChannelPair();
        for (int i = 0; i < 3; i++)
        {
            pair.FrontChannel.Notify();
        }

        // The meter is process-wide: other tests' channels of domain 1 may carry the same port, so collect every match.
        var observed = new List<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "PvRing.Events" && instrument.Name == "pvring.events.notifications_sent")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            bool domain = false;
            bool port = false;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                domain |= tag is { Key: "domain", Value: 1 };
                port |= tag.Key == "port" && Equals(tag.Value, pair.FrontChannel.Port);
            }

            if (domain && port)
            {
                observed.Add(value);
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Contains(3L, observed);
    }
}
