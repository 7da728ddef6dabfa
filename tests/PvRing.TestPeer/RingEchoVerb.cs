// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using PvRing.Memory;
using PvRing.Rings;

namespace PvRing.TestPeer;

/// <summary>
/// <c>ring-echo HOST NAME COUNT TIMEOUT_SECONDS</c>: attaches as the back of the ring file NAME, answers COUNT
/// <see cref="SequencedRequest"/>s with their sequence and checksum, in batches of every request waiting,
/// and exits 0. No progress for the timeout exits 2; a protocol violation exits 1.
/// </summary>
internal sealed class RingEchoVerb : IPeerVerb
{
    public string Name => "ring-echo";

    public int Run(string[] args)
    {
        var host = new HostDirectory(args[0]);
        long count = long.Parse(args[2]);
        var timeout = TimeSpan.FromSeconds(double.Parse(args[3]));
        using BackRing<SequencedRequest, SequencedResponse> ring =
            RingFile.WaitAndAttachAsync<SequencedRequest, SequencedResponse>(host, args[1], timeout).GetAwaiter().GetResult();
        var requests = new SequencedRequest[ring.Size];
        long served = 0;
        long idleSince = Stopwatch.GetTimestamp();
        while (served < count)
        {
            int n = ring.ConsumeRequests(requests);
            if (n == 0)
            {
                if (Stopwatch.GetElapsedTime(idleSince) > timeout)
                {
                    Console.Error.WriteLine($"ring-echo: no request for {timeout.TotalSeconds} s after {served}");
                    return 2;
                }

                Thread.Yield();
                continue;
            }

            using (SlotBatch<SequencedResponse> batch = ring.ClaimResponses(n))
            {
                for (int i = 0; i < n; i++)
                {
                    batch[i] = new SequencedResponse { Sequence = requests[i].Sequence, Checksum = SequencedResponse.ChecksumOf(requests[i]) };
                }
            }

            served += n;
            idleSince = Stopwatch.GetTimestamp();
        }

        Console.WriteLine($"ring-echo: served {served}");
        return 0;
    }
}
