// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Rings;

namespace PvRing.TestPeer;

/// <summary>
/// <c>ring-variant-echo HOST NAME FEATURES ORDER FRONT_PORT COUNT TIMEOUT_SECONDS</c>: domain 0, bound to the front's
/// (domain 1) event channel port FRONT_PORT, attaches as the back of the ring file NAME with the variant
/// (<see cref="RingFeatures"/> as a number, page order), prints "ready", answers COUNT <see cref="SequencedRequest"/>s
/// and prints "done served=COUNT". It rotates through the back's three ways to answer (ServeRequests, a
/// ConsumeRequests + ClaimResponses batch, one request at a time with push-and-check-notify) and sleeps through
/// <see cref="RingWaiter"/> when the ring is empty. A wait that ends without work exits 2; a protocol violation exits 1.
/// </summary>
internal sealed class RingVariantEchoVerb : IPeerVerb
{
    public string Name => "ring-variant-echo";

    public int Run(string[] args)
    {
        var host = new HostDirectory(args[0]);
        string name = args[1];
        var variant = new RingVariant((RingFeatures)int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
        int frontPort = int.Parse(args[4], CultureInfo.InvariantCulture);
        long count = long.Parse(args[5], CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromSeconds(double.Parse(args[6], CultureInfo.InvariantCulture));

        using EventDomain domain = EventDomain.Create(host, 0);
        using EventChannel channel = domain.BindInterdomain(1, frontPort);
        using BackRing<SequencedRequest, SequencedResponse> ring = RingFile.Attach<SequencedRequest, SequencedResponse>(host, name, variant);
        ring.Notifier = channel;
        Console.WriteLine("ready");
        Console.Out.Flush();

        var handler = default(RingEchoHandler);
        var requests = new SequencedRequest[ring.Size];
        long served = 0;
        for (int round = 0; served < count; round++)
        {
            int limit = (int)Math.Min(ring.Size, count - served);
            int n = (round % 3) switch
            {
                0 => ring.ServeRequests(ref handler, limit),
                1 => AnswerBatch(ring, requests.AsSpan(0, limit)),
                _ => AnswerOne(ring),
            };
            served += n;
            if (n == 0)
            {
                EventWaitResult result = ring.WaitForRequests(channel, new SpinThenBlockWait(), timeout, CancellationToken.None);
                if (result != EventWaitResult.Signaled)
                {
                    Console.Error.WriteLine($"ring-variant-echo: wait ended with {result} after {served} of {count} ({variant})");
                    return 2;
                }
            }
        }

        Console.WriteLine($"done served={served}");
        return 0;
    }

    private static int AnswerBatch(BackRing<SequencedRequest, SequencedResponse> ring, Span<SequencedRequest> requests)
    {
        int n = ring.ConsumeRequests(requests);
        using SlotBatch<SequencedResponse> batch = ring.ClaimResponses(n);
        for (int i = 0; i < n; i++)
        {
            batch[i] = new SequencedResponse { Sequence = requests[i].Sequence, Checksum = SequencedResponse.ChecksumOf(requests[i]) };
        }

        return n;
    }

    private static int AnswerOne(BackRing<SequencedRequest, SequencedResponse> ring)
    {
        if (!ring.TryConsumeRequest(out SequencedRequest request))
        {
            return 0;
        }

        ring.ProduceResponse(new SequencedResponse { Sequence = request.Sequence, Checksum = SequencedResponse.ChecksumOf(request) });
        if (ring.PushResponsesAndCheckNotify())
        {
            ring.Notifier!.Notify();
        }

        return 1;
    }
}
