// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;
using PvRing.Rings;
using PvRing.TestPeer;

namespace PvRing.Tests.Rings;

/// <summary>
/// Notification hold-off across two processes: while both sides are busy, neither arms its event index, so a
/// saturated ring makes far fewer notifications than requests (Xen's <c>req_event</c>/<c>rsp_event</c>).
/// </summary>
public sealed class RingEventHoldOffTests
{
    [Fact]
    public void Stream_SaturatedRingAcrossProcesses_FewerThanOneNotificationPerHundredRequests()
    {
        const int Total = 1_000_000;
        using var session = new RingEventSession("serve", order: 2, Total);
        FrontRing<SequencedRequest, SequencedResponse> front = session.Front;
        var responses = new SequencedResponse[front.Size];
        ulong sent = 0;
        ulong received = 0;
        while (received < Total)
        {
            bool progress = false;
            int room = (int)Math.Min((ulong)front.FreeRequests, Total - sent);
            if (room > 0)
            {
                using SlotBatch<SequencedRequest> batch = front.ClaimRequests(room);
                for (int i = 0; i < batch.Count; i++)
                {
                    batch[i] = RingEventSession.Request(sent + (ulong)i);
                }

                sent += (ulong)batch.Count;
                progress = true;
            }

            int got = front.ConsumeResponses(responses);
            for (int i = 0; i < got; i++, received++)
            {
                RingEventSession.AssertAnswers(received, responses[i]);
            }

            if (!progress && got == 0)
            {
                EventWaitResult result = front.WaitForResponses(session.Channel, new SpinThenBlockWait(), RingEventSession.Bound, CancellationToken.None);
                Assert.True(result == EventWaitResult.Signaled, $"wait ended with {result} after {received} of {Total}");
            }
        }

        long backSent = session.ReadPeerNotificationsSent();
        Assert.Equal(0, session.Peer.WaitForExit(RingEventSession.Bound));
        long frontSent = session.Channel.Counters.NotificationsSent;
        double perRequest = (double)(frontSent + backSent) / Total;
        Assert.True(perRequest < 0.01, $"{frontSent} front + {backSent} back notifications for {Total} requests = {perRequest:0.####} per request");
    }
}
