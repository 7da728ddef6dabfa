// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using PvRing.Tests.Infrastructure;
using PvRing.Rings;
using PvRing.TestPeer;

namespace PvRing.Tests.Rings;

/// <summary>
/// A real second process (the test peer's <c>ring-echo</c> role) serves the back of a ring this process
/// fronts: a million requests with 64-bit sequence numbers and checksums, in random batch sizes.
/// </summary>
public sealed class TwoProcessRingTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData(0, 1_000_000)]
    [InlineData(3, 200_000)]
    public void Exchange_AcrossProcesses_NothingLostDuplicatedOrReordered(int order, int total)
    {
        using var host = new TempHost();
        using ChildProcess peer = ChildProcess.StartPeer("ring-echo", host.Path, "ring", total.ToString(), "60");
        using FrontRing<SequencedRequest, SequencedResponse> front = RingFile.Create<SequencedRequest, SequencedResponse>(host.Host, "ring", RingVariant.Classic(order));

        var random = new Random(order + 17);
        var responses = new SequencedResponse[front.Size];
        ulong sent = 0;
        ulong received = 0;
        long lastProgress = Stopwatch.GetTimestamp();
        while (received < (ulong)total)
        {
            int room = (int)Math.Min((ulong)front.FreeRequests, (ulong)total - sent);
            if (room > 0)
            {
                using var batch = front.ClaimRequests(random.Next(1, room + 1));
                for (int i = 0; i < batch.Count; i++)
                {
                    ulong sequence = sent + (ulong)i;
                    batch[i] = new SequencedRequest { Sequence = sequence, Payload = sequence ^ 0x5555 };
                }

                sent += (ulong)batch.Count;
            }

            int got = front.ConsumeResponses(responses);
            for (int i = 0; i < got; i++, received++)
            {
                if (responses[i].Sequence != received)
                {
                    Assert.Fail($"response {received} carries sequence {responses[i].Sequence}: lost, duplicated or reordered");
                }

                Assert.Equal(SequencedResponse.ChecksumOf(new SequencedRequest { Sequence = received, Payload = received ^ 0x5555 }), responses[i].Checksum);
            }

            if (got > 0)
            {
                lastProgress = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(lastProgress) > s_timeout || peer.HasExited)
            {
                Assert.Fail($"no response after {received} of {total}; peer exited={peer.HasExited}. Peer output:\n{peer.Output}");
            }
            else
            {
                Thread.Yield();
            }
        }

        peer.AssertExit(0, s_timeout);
        Assert.Equal((ulong)total, received);
        Assert.Equal(0, front.UnconsumedResponses);
    }
}
