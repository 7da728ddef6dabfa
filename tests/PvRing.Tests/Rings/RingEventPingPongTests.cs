// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;
using PvRing.Rings;
using PvRing.TestPeer;

namespace PvRing.Tests.Rings;

/// <summary>
/// One request outstanding at a time across two processes, with both sides sleeping on the event channel as soon
/// as the ring is dry: every round trip goes through final check, notify and wake-up, so a lost wake-up shows as a
/// wait that ends without work (bounded), never as a hang.
/// </summary>
public sealed class RingEventPingPongTests
{
    private const int RoundTrips = 3000;
    private static readonly TimeSpan s_perWait = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("serve-block")]
    [InlineData("serve-async")]
    public void PingPong_BlockingWaitsAcrossProcesses_NoWakeUpLost(string peerMode)
    {
        using var session = new RingEventSession(peerMode, order: 0, RoundTrips);
        FrontRing<SequencedRequest, SequencedResponse> front = session.Front;
        for (ulong i = 0; i < RoundTrips; i++)
        {
            front.ProduceRequest(RingEventSession.Request(i));
            if (front.PushRequestsAndCheckNotify())
            {
                session.Channel.Notify();
            }

            // default(SpinThenBlockWait): no spin phase, straight to final check and sleep.
            EventWaitResult result = front.WaitForResponses(session.Channel, default(SpinThenBlockWait), s_perWait, CancellationToken.None);
            Assert.True(result == EventWaitResult.Signaled, $"round trip {i}: wait ended with {result}; counters {session.Channel.Counters}");
            Assert.True(front.TryConsumeResponse(out SequencedResponse response));
            RingEventSession.AssertAnswers(i, response);
        }

        long backSent = session.ReadPeerNotificationsSent();
        Assert.Equal(0, session.Peer.WaitForExit(RingEventSession.Bound));
        EventChannelCounters counters = session.Channel.Counters;

        // Proof that the blocking path was exercised, not bypassed: both sides notified and this side slept.
        Assert.True(counters.Blocks > 0, $"the front never slept: {counters}");
        Assert.True(counters.NotificationsSent > 0 && backSent > 0, $"front sent {counters.NotificationsSent}, back sent {backSent}");
    }

    [Fact]
    public async Task PingPong_AsyncFrontAcrossProcesses_NoWakeUpLost()
    {
        using var session = new RingEventSession("serve-block", order: 0, RoundTrips);
        FrontRing<SequencedRequest, SequencedResponse> front = session.Front;
        for (ulong i = 0; i < RoundTrips; i++)
        {
            front.ProduceRequest(RingEventSession.Request(i));
            if (front.PushRequestsAndCheckNotify())
            {
                session.Channel.Notify();
            }

            EventWaitResult result = await front.WaitForResponsesAsync(session.Channel, s_perWait, CancellationToken.None);
            Assert.True(result == EventWaitResult.Signaled, $"round trip {i}: wait ended with {result}; counters {session.Channel.Counters}");
            Assert.True(front.TryConsumeResponse(out SequencedResponse response));
            RingEventSession.AssertAnswers(i, response);
        }

        session.ReadPeerNotificationsSent();
        Assert.Equal(0, session.Peer.WaitForExit(RingEventSession.Bound));
    }
}
