// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Events;

using PvRing.TestPeer;

namespace PvRing.Tests.Events;

[Trait("Category", "Stress")]
public sealed class EventChannelStressTests
{
    [Fact]
    public void Notify_MillionRoundTripsAcrossProcessesWithRandomDelays_NoWakeUpLost()
    {
        const int RoundTrips = 1_000_000;
        using var host = new TempHost();
        using EventDomain domain = EventDomain.Create(host.Host, 1);
        using EventChannel channel = domain.AllocateUnbound(2);
        using ChildProcess peer = CrossProcess.StartPeer(host, channel, "pong", RoundTrips, seed: 7);
        Assert.Equal("ready", peer.ReadLine(CrossProcess.Bound));

        var random = new Random(11);
        for (int i = 0; i < RoundTrips; i++)
        {
            channel.Notify();

            // Every wait is bounded: a lost wake-up shows as TimedOut here, not as a hang.
            EventWaitResult result = channel.Wait(TimeSpan.FromSeconds(20));

            // The last pong and the peer's close (it exits at once) may share one pending bit, which then reads as the
            // close: events are hints, and a waiter re-checks its state after ChannelClosed as well.
            bool lastCoalescedWithClose = i == RoundTrips - 1 && result == EventWaitResult.ChannelClosed;
            Assert.True(result == EventWaitResult.Signaled || lastCoalescedWithClose, $"round trip {i}: {result}; counters {channel.Counters}");
            StressWorkload.RandomDelay(random);
        }

        Assert.StartsWith("done", peer.ReadLine(CrossProcess.Bound), StringComparison.Ordinal);
        Assert.Equal(0, peer.WaitForExit(CrossProcess.Bound));
        Assert.Equal(RoundTrips, channel.Counters.NotificationsSent);

        // The peer disposed its domain on exit: the channel reports the close instead of waiting.
        Assert.Equal(EventWaitResult.ChannelClosed, channel.Wait(TimeSpan.FromSeconds(5)));
    }
}
