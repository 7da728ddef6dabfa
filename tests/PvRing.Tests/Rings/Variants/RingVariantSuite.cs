// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Tests.Grants;
using PvRing.Tests.Infrastructure;
using PvRing.Grants;
using PvRing.Events;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.TestPeer;

namespace PvRing.Tests.Rings.Variants;

/// <summary>
/// The ring suite every variant must pass unchanged: each concrete class names one combination of
/// <see cref="RingFeatures"/>, and every test runs for page orders 0..4, in one process (front and back over two
/// mappings of one file) and across two processes (the test peer's <c>ring-variant-echo</c> role as the back).
/// </summary>
public abstract class RingVariantSuite
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    /// <summary>The page orders every test runs at.</summary>
    public static TheoryData<int> Orders => [0, 1, 2, 3, 4];

    /// <summary>The factory: the combination of features this class tests.</summary>
    protected abstract RingFeatures Features { get; }

    internal static SequencedRequest Request(ulong sequence) => new() { Sequence = sequence, Payload = (sequence * 7) + 3 };

    [Theory]
    [MemberData(nameof(Orders))]
    public void Variant_Negotiated_HasThisClassFeaturesAndOrder(int order)
    {
        using RingPair<SequencedRequest, SequencedResponse> pair = Pair(order);
        Assert.Equal(Features, pair.Variant.Features);
        Assert.Equal(RingVariantLayout.SlotCount<SequencedRequest, SequencedResponse>(pair.Variant), pair.Front.Size);
        Assert.Equal(pair.Front.Size, pair.Back.Size);
        Assert.Equal(pair.Front.Size, pair.Front.FreeRequests);
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void Exchange_InProcess_NothingLostDuplicatedOrReordered(int order)
    {
        using RingPair<SequencedRequest, SequencedResponse> pair = Pair(order);
        Exchange(pair, 20_000, seed: order + (int)Features * 10);
        Assert.Equal(20_000u, pair.Front.ResponseConsumer);
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void Exchange_IndicesCrossTwoToThe32_SequenceIntact(int order)
    {
        int size = RingVariantLayout.SlotCount<SequencedRequest, SequencedResponse>(Variant(order));
        uint start = uint.MaxValue - (uint)(3 * size / 2);
        using RingPair<SequencedRequest, SequencedResponse> pair = Pair(order, start);
        ulong total = (ulong)(4 * size) + 1000;
        Exchange(pair, total, seed: order);

        Assert.True(pair.Front.RequestProducerPrivate < start, "the request index must have wrapped");
        Assert.Equal(unchecked(start + (uint)total), pair.Front.ResponseConsumer);
        Assert.Equal(pair.Front.RequestProducerPrivate, pair.RequestProducer);
        Assert.Equal(pair.Back.ResponseProducerPrivate, pair.ResponseProducer);
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void UnconsumedRequests_HostileRequestProducer_ThrowsProtocolException(int order)
    {
        using RingPair<SequencedRequest, SequencedResponse> pair = Pair(order);
        foreach (uint hostile in new[] { (uint)pair.Back.Size + 1, uint.MaxValue, 1u << 31 })
        {
            pair.RequestProducer = hostile;
            var e = Assert.Throws<PvRingProtocolException>(() => pair.Back.UnconsumedRequests);
            Assert.Contains($"req_prod={hostile}", e.Message, StringComparison.Ordinal);
            Assert.Throws<PvRingProtocolException>(() => pair.Back.ConsumeRequests(new SequencedRequest[4]));
            Assert.Throws<PvRingProtocolException>(() => pair.Back.TryConsumeRequest(out _));
            Assert.Throws<PvRingProtocolException>(() => pair.Back.FinalCheckForRequests());
            Assert.Throws<PvRingProtocolException>(() =>
            {
                var handler = default(EchoRequestHandler);
                pair.Back.ServeRequests(ref handler, 4);
            });
            Assert.Equal(0u, pair.Back.RequestConsumer);
        }
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void ConsumeResponses_HostileResponseProducer_ThrowsProtocolException(int order)
    {
        using RingPair<SequencedRequest, SequencedResponse> pair = Pair(order);
        pair.Front.ProduceRequest(Request(0));
        pair.Front.PushRequests();
        foreach (uint hostile in new[] { 2u, (uint)pair.Front.Size + 1, uint.MaxValue })
        {
            pair.ResponseProducer = hostile;
            var e = Assert.Throws<PvRingProtocolException>(() => pair.Front.ConsumeResponses(new SequencedResponse[4]));
            Assert.Contains($"rsp_prod={hostile}", e.Message, StringComparison.Ordinal);
            Assert.Throws<PvRingProtocolException>(() => pair.Front.UnconsumedResponses);
            Assert.Throws<PvRingProtocolException>(() => pair.Front.FinalCheckForResponses());
            Assert.Throws<PvRingProtocolException>(() =>
            {
                var consumer = default(SequenceCheckingConsumer);
                pair.Front.ConsumeResponses(ref consumer, 4);
            });
            Assert.Equal(0u, pair.Front.ResponseConsumer);
        }

        // A restarted back rejects a header whose req_prod - rsp_prod exceeds the ring.
        pair.ResponseProducer = 0;
        pair.RequestProducer = (uint)pair.Front.Size + 1;
        Assert.Throws<PvRingProtocolException>(() => BackRing<SequencedRequest, SequencedResponse>.Reattach(pair.Raw, pair.Variant));
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void FreeRequests_RingFull_OutstandingBoundedByRingSize(int order)
    {
        using RingPair<SequencedRequest, SequencedResponse> pair = Pair(order);
        int size = pair.Front.Size;
        using (SlotBatch<SequencedRequest> batch = pair.Front.ClaimRequests(size + 5))
        {
            Assert.Equal(size, batch.Count);
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i] = Request((ulong)i);
            }
        }

        Assert.True(pair.Front.IsFull);
        Assert.Throws<InvalidOperationException>(() => pair.Front.ProduceRequest(Request(0)));
        Assert.Equal(0, pair.Front.ClaimRequests(1).Count);

        // The back may consume them all, but no more: every response slot is owed.
        Assert.Equal(size, pair.Back.UnconsumedRequests);
        var requests = new SequencedRequest[size + 1];
        Assert.Equal(size, pair.Back.ConsumeRequests(requests));
        Assert.True(pair.Back.IsRequestConsumerOverflow(pair.Back.RequestConsumer));
        Assert.False(pair.Back.TryConsumeRequest(out _));
        Assert.Equal(size, pair.Back.PendingResponses);

        // Answering one frees exactly one request slot once the front consumes it.
        pair.Back.ProduceResponse(new SequencedResponse { Sequence = 0, Checksum = SequencedResponse.ChecksumOf(requests[0]) });
        pair.Back.PushResponses();
        Assert.True(pair.Front.TryConsumeResponse(out SequencedResponse response));
        Assert.Equal(0ul, response.Sequence);
        Assert.Equal(1, pair.Front.FreeRequests);
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void PushAndFinalCheck_ArmedEvent_NotifiesOnceThenHoldsOff(int order)
    {
        using RingPair<SequencedRequest, SequencedResponse> pair = Pair(order);

        // Initial event = 1: the first request notifies, the second does not (the back has not re-armed).
        pair.Front.ProduceRequest(Request(0));
        Assert.True(pair.Front.PushRequestsAndCheckNotify());
        pair.Front.ProduceRequest(Request(1));
        Assert.False(pair.Front.PushRequestsAndCheckNotify());

        var requests = new SequencedRequest[2];
        Assert.Equal(2, pair.Back.ConsumeRequests(requests));
        Assert.False(pair.Back.FinalCheckForRequests());
        Assert.Equal(3u, pair.RequestEvent);
        pair.Front.ProduceRequest(Request(2));
        Assert.True(pair.Front.PushRequestsAndCheckNotify());
        Assert.True(pair.Back.FinalCheckForRequests());

        // The same rule for responses, on the response index pair.
        var counter = new CountingNotifier();
        pair.Back.Notifier = counter;
        using (SlotBatch<SequencedResponse> batch = pair.Back.ClaimResponses(2))
        {
            batch[0] = default;
            batch[1] = default;
        }

        Assert.Equal(1, counter.Count);
        Assert.Equal(2, pair.Front.ConsumeResponses(new SequencedResponse[2]));
        Assert.False(pair.Front.FinalCheckForResponses());
        Assert.Equal(3u, pair.ResponseEvent);
        Assert.Equal(1, pair.Back.ConsumeRequests(requests));
        pair.Back.ProduceResponse(default);
        Assert.True(pair.Back.PushResponsesAndCheckNotify());
        Assert.True(pair.Front.FinalCheckForResponses());
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void Slots_FilledCompletely_IndicesAndOtherArrayUntouched(int order)
    {
        using RingPair<SequencedRequest, SequencedResponse> pair = Pair(order);
        int size = pair.Front.Size;
        var marker = new SequencedRequest { Sequence = ulong.MaxValue, Payload = ulong.MaxValue };
        for (uint i = 0; i < size; i++)
        {
            pair.Front.GetRequest(i) = marker;
        }

        Assert.Equal((0u, 1u, 0u, 1u), (pair.RequestProducer, pair.RequestEvent, pair.ResponseProducer, pair.ResponseEvent));
        var answer = new SequencedResponse { Sequence = 0x1111, Checksum = 0x2222 };
        for (uint i = 0; i < size; i++)
        {
            pair.Back.GetResponse(i) = answer;
        }

        Assert.Equal((0u, 1u, 0u, 1u), (pair.RequestProducer, pair.RequestEvent, pair.ResponseProducer, pair.ResponseEvent));
        for (uint i = 0; i < size; i++)
        {
            // With split rings the requests survive the responses; classically a response overwrites its request.
            SequencedRequest request = pair.Back.CopyRequest(i);
            Assert.Equal(pair.Variant.SplitRings ? marker.Sequence : answer.Sequence, request.Sequence);
            Assert.Equal(answer.Sequence, pair.Front.CopyResponse(i).Sequence);
        }
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void Reattach_LiveRing_ContinuesWhereTheBackLeftOff(int order)
    {
        using RingPair<SequencedRequest, SequencedResponse> pair = Pair(order);
        for (ulong i = 0; i < 5; i++)
        {
            pair.Front.ProduceRequest(Request(i));
        }

        pair.Front.PushRequests();
        var handler = default(EchoRequestHandler);
        Assert.Equal(3, pair.Back.ServeRequests(ref handler, 3));

        using BackRing<SequencedRequest, SequencedResponse> restarted = BackRing<SequencedRequest, SequencedResponse>.Reattach(pair.Raw, pair.Variant);
        Assert.Equal(3u, restarted.RequestConsumer);
        Assert.Equal(2, restarted.ServeRequests(ref handler, 10));
        var consumer = default(SequenceCheckingConsumer);
        Assert.Equal(5, pair.Front.ConsumeResponses(ref consumer, 10));
        Assert.Null(consumer.Wrong);
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void Exchange_AcrossProcesses_NothingLostDuplicatedOrReordered(int order)
    {
        const int Total = 20_000;
        RingVariant variant = Variant(order);
        using var host = new TempHost();
        using EventDomain domain = EventDomain.Create(host.Host, 1);
        using EventChannel channel = domain.AllocateUnbound(0);
        using FrontRing<SequencedRequest, SequencedResponse> front = RingFile.Create<SequencedRequest, SequencedResponse>(host.Host, "ring", variant);
        front.Notifier = channel;
        using var peer = ChildProcess.StartPeer(
            "ring-variant-echo", host.Host.Path, "ring", ((int)Features).ToString(CultureInfo.InvariantCulture), order.ToString(CultureInfo.InvariantCulture),
            channel.Port.ToString(CultureInfo.InvariantCulture), Total.ToString(CultureInfo.InvariantCulture), s_bound.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        Assert.Equal("ready", peer.ReadLine(s_bound));

        var random = new Random(order);
        var consumer = default(SequenceCheckingConsumer);
        ulong sent = 0;
        while (consumer.Next < Total)
        {
            int room = (int)Math.Min((ulong)front.FreeRequests, Total - sent);
            if (room > 0)
            {
                using SlotBatch<SequencedRequest> batch = front.ClaimRequests(random.Next(1, room + 1));
                for (int i = 0; i < batch.Count; i++)
                {
                    batch[i] = Request(sent + (ulong)i);
                }

                sent += (ulong)batch.Count;
            }

            int got = front.ConsumeResponses(ref consumer, random.Next(1, front.Size + 1));
            Assert.True(consumer.Wrong is null, $"response {consumer.Next} carries sequence {consumer.Wrong?.Sequence}: lost, duplicated or reordered ({variant})");
            if (got == 0 && room == 0)
            {
                EventWaitResult result = front.WaitForResponses(channel, new SpinThenBlockWait(), s_bound, CancellationToken.None);
                Assert.True(result == EventWaitResult.Signaled, $"wait ended with {result} after {consumer.Next} of {Total} ({variant}); peer: {peer.Output}");
            }
        }

        Assert.Equal($"done served={Total}", peer.ReadLine(s_bound));
        Assert.Equal(0, peer.WaitForExit(s_bound));
        Assert.Equal(0, front.UnconsumedResponses);
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void Exchange_OverGrantedPages_NothingLostDuplicatedOrReordered(int order)
    {
        // Hackathon item A as XenBus does it: the front grants each page, the back maps the references contiguously.
        RingVariant variant = Variant(order);
        using var domains = new GrantTestDomains(arenaFrames: 64);
        using var granted = GrantedRing.Grant(domains.Front, GrantTestDomains.BackId, firstFrame: 5, order);
        using (FrontRing<SequencedRequest, SequencedResponse> front = granted.Initialize<SequencedRequest, SequencedResponse>(variant))
        using (var mapped = ForeignRing.Map(domains.Foreign, granted.References.ToArray()))
        using (BackRing<SequencedRequest, SequencedResponse> back = mapped.Attach<SequencedRequest, SequencedResponse>(variant))
        {
            Assert.Equal(RingVariantLayout.SlotCount<SequencedRequest, SequencedResponse>(variant), back.Size);
            Assert.False(granted.TryEndAccess(), "the back still maps the ring");
            Exchange(front, back, 20_000, seed: order + 100);
        }

        Assert.True(granted.TryEndAccess(), "every page must be unpinned once the back's ring and mapping are gone");
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void Exchange_ResponseSmallerThanRequest_EveryAnswerInItsSlot(int order)
    {
        // netif TX: 12-byte requests, 4-byte responses, so with split rings the two arrays step by different strides.
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>(Variant(order));
        Assert.Equal(RingVariantLayout.SlotCount<NetifTxRequest, NetifTxResponse>(pair.Variant), pair.Front.Size);
        var random = new Random(order + (int)Features);
        var handler = default(NetifEchoHandler);
        var requests = new NetifTxRequest[pair.Back.Size];
        var responses = new NetifTxResponse[pair.Front.Size];
        int total = (3 * pair.Front.Size) + 17;
        int sent = 0;
        int received = 0;
        while (received < total)
        {
            using (SlotBatch<NetifTxRequest> batch = pair.Front.ClaimRequests(random.Next(1, Math.Max(1, total - sent) + 1)))
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    batch[i] = new NetifTxRequest { Id = (ushort)(sent + i), Size = 64 };
                }

                sent += batch.Count;
            }

            switch (random.Next(3))
            {
                case 0:
                    pair.Back.ServeRequests(ref handler, random.Next(1, pair.Back.Size + 1));
                    break;
                case 1:
                    int n = pair.Back.ConsumeRequests(requests.AsSpan(0, random.Next(1, requests.Length + 1)));
                    using (SlotBatch<NetifTxResponse> answers = pair.Back.ClaimResponses(n))
                    {
                        for (int i = 0; i < n; i++)
                        {
                            answers[i] = new NetifTxResponse { Id = requests[i].Id, Status = NetifStatus.Okay };
                        }
                    }

                    break;
                default:
                    while (pair.Back.TryConsumeRequest(out NetifTxRequest request))
                    {
                        pair.Back.ProduceResponse(new NetifTxResponse { Id = request.Id, Status = NetifStatus.Okay });
                    }

                    pair.Back.PushResponses();
                    break;
            }

            int got = pair.Front.ConsumeResponses(responses);
            for (int i = 0; i < got; i++, received++)
            {
                Assert.Equal(((ushort)received, NetifStatus.Okay), (responses[i].Id, responses[i].Status));
            }
        }

        Assert.Equal((uint)total, pair.Front.ResponseConsumer);
    }

    private RingVariant Variant(int order) => new(Features, order);

    private RingPair<SequencedRequest, SequencedResponse> Pair(int order, uint? start = null) => new(Variant(order), start);

    // One thread plays both ends, mixing every way each end has to move messages, in random batch sizes.
    private static void Exchange(RingPair<SequencedRequest, SequencedResponse> pair, ulong total, int seed) => Exchange(pair.Front, pair.Back, total, seed);

    private static void Exchange(FrontRing<SequencedRequest, SequencedResponse> front, BackRing<SequencedRequest, SequencedResponse> back, ulong total, int seed)
    {
        var random = new Random(seed);
        var requests = new SequencedRequest[back.Size];
        var responses = new SequencedResponse[front.Size];
        var handler = default(EchoRequestHandler);
        var consumer = default(SequenceCheckingConsumer);
        ulong sent = 0;
        while (consumer.Next < total)
        {
            int room = (int)Math.Min((ulong)front.FreeRequests, total - sent);
            if (room > 0 && random.Next(2) == 0)
            {
                front.ProduceRequest(Request(sent++));
                front.PushRequestsAndCheckNotify();
            }
            else if (room > 0)
            {
                using SlotBatch<SequencedRequest> batch = front.ClaimRequests(random.Next(1, room + 1));
                for (int i = 0; i < batch.Count; i++)
                {
                    batch[i] = Request(sent + (ulong)i);
                }

                sent += (ulong)batch.Count;
            }

            if (random.Next(2) == 0)
            {
                back.ServeRequests(ref handler, random.Next(1, back.Size + 1));
            }
            else
            {
                int n = back.ConsumeRequests(requests.AsSpan(0, random.Next(1, requests.Length + 1)));
                using SlotBatch<SequencedResponse> answers = back.ClaimResponses(n);
                for (int i = 0; i < n; i++)
                {
                    answers[i] = new SequencedResponse { Sequence = requests[i].Sequence, Checksum = SequencedResponse.ChecksumOf(requests[i]) };
                }
            }

            switch (random.Next(3))
            {
                case 0:
                    front.ConsumeResponses(ref consumer, random.Next(1, front.Size + 1));
                    Assert.True(consumer.Wrong is null, $"response {consumer.Next} carries sequence {consumer.Wrong?.Sequence}: lost, duplicated or reordered");
                    break;
                case 1:
                    int got = front.ConsumeResponses(responses);
                    for (int i = 0; i < got; i++)
                    {
                        Assert.True(consumer.TryConsume(responses[i]), $"response {consumer.Next} carries sequence {responses[i].Sequence}");
                    }

                    break;
                default:
                    while (front.TryConsumeResponse(out SequencedResponse response))
                    {
                        Assert.True(consumer.TryConsume(response), $"response {consumer.Next} carries sequence {response.Sequence}");
                    }

                    break;
            }
        }

        Assert.Equal(total, sent);
        Assert.Equal(0, back.UnconsumedRequests);
        Assert.Equal(0, front.OutstandingRequests);
    }
}
