// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Rings;
using PvRing.TestPeer;

namespace PvRing.Tests.Rings;

/// <summary>Indices that cross 2^32 mid-stream: nothing lost, duplicated or reordered; notify rule holds.</summary>
public sealed class WrapAroundTests
{
    [Theory]
    [InlineData(uint.MaxValue - 300, 0)]
    [InlineData(uint.MaxValue, 0)]
    [InlineData(uint.MaxValue - 5000, 2)]
    public void Exchange_IndicesCrossTwoToThe32_SequenceIntact(uint start, int order)
    {
        using var pair = new RingPair<SequencedRequest, SequencedResponse>(RingVariant.Classic(order), start);
        var random = new Random(1234);
        var requests = new SequencedRequest[pair.Back.Size];
        var responses = new SequencedResponse[pair.Front.Size];
        ulong sent = 0;
        ulong received = 0;
        const ulong Total = 20_000;
        while (received < Total)
        {
            int want = random.Next(1, pair.Front.Size + 1);
            using (var batch = pair.Front.ClaimRequests((int)Math.Min((ulong)want, Total - sent)))
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    batch[i] = new SequencedRequest { Sequence = sent + (ulong)i, Payload = (sent + (ulong)i) * 7 };
                }

                sent += (ulong)batch.Count;
            }

            int n = pair.Back.ConsumeRequests(requests.AsSpan(0, random.Next(1, requests.Length + 1)));
            using (var answers = pair.Back.ClaimResponses(n))
            {
                for (int i = 0; i < n; i++)
                {
                    answers[i] = new SequencedResponse { Sequence = requests[i].Sequence, Checksum = SequencedResponse.ChecksumOf(requests[i]) };
                }
            }

            int got = pair.Front.ConsumeResponses(responses);
            for (int i = 0; i < got; i++, received++)
            {
                Assert.Equal(received, responses[i].Sequence);
                Assert.Equal(SequencedResponse.ChecksumOf(new SequencedRequest { Sequence = received, Payload = received * 7 }), responses[i].Checksum);
            }
        }

        Assert.True(pair.Front.RequestProducerPrivate < start, "the request index must have wrapped");
        Assert.Equal(unchecked(start + (uint)Total), pair.Front.ResponseConsumer);
        Assert.Equal(pair.Front.RequestProducerPrivate, pair.RequestProducer);
    }
}
