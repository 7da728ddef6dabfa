// Licensed under the MIT License. See LICENSE in the repository root.

using CsCheck;
using PvRing.Tests.Infrastructure;
using PvRing.Rings;
using PvRing.TestPeer;

namespace PvRing.Tests.Hardening;

/// <summary>
/// The bounded hostile fuzzer for ring headers and slots of every variant (classic, A multi-page, B split indexes,
/// C aligned slots, I split rings, and all together): a second party, with a mapping of its own of the ring file, writes
/// random and adversarial indexes (far ahead, behind, around 2^32, one past the ring), event indexes and slot bytes,
/// between the steps of an honest front and back and, in half the cases, from a second thread while they run. Each end
/// either keeps working (its counts stay within the ring) or refuses with <see cref="PvRingProtocolException"/>; a
/// re-attach over the scribbled header does the same. Never another exception, a hang or a crash.
/// </summary>
public sealed class RingFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Cases = 300;

    public enum Field
    {
        RequestProducer,
        RequestEvent,
        ResponseProducer,
        ResponseEvent,
        Slot,
    }

    public enum Value
    {
        Raw,
        Near,
        OneRingAhead,
        PastTheRing,
        Behind,
        HalfTheSpace,
        Max,
        Zero,
    }

    public static TheoryData<RingFeatures, int> Variants => new()
    {
        { RingFeatures.None, 0 },
        { RingFeatures.None, 2 },
        { RingFeatures.SplitIndexes, 0 },
        { RingFeatures.AlignedSlots, 0 },
        { RingFeatures.SplitRings, 0 },
        { RingFeatures.SplitIndexes | RingFeatures.AlignedSlots | RingFeatures.SplitRings, 1 },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void HostileIndexesAndSlots_EachEndWorksOrRefusesWithProtocolError(RingFeatures features, int order)
    {
        var variant = new RingVariant(features, order);
        Gen<(Field, Value, uint)[]> writes = Gen.Select(Gen.Enum<Field>(), Gen.Enum<Value>(), Gen.UInt).Array[1, 40];
        Gen<(int Seed, bool Concurrent, bool NearWrap, (Field, Value, uint)[] Writes)> cases =
            Gen.Select(Gen.Int, Gen.Bool, Gen.Bool, writes);
        int refused = 0, survived = 0;
        FuzzBudget.Sample(cases, Cases, output, c =>
        {
            bool anyRefused = false;
            string? failure = FuzzBudget.Run(
                $"{variant} seed={c.Seed} concurrent={c.Concurrent} near-wrap={c.NearWrap}",
                () => anyRefused = RunCase(variant, c.Seed, c.Concurrent, c.NearWrap, c.Writes),
                e => e is PvRingProtocolException);
            refused += anyRefused ? 1 : 0;
            survived += anyRefused ? 0 : 1;
            return failure;
        });
        Assert.True(refused > 0, "no case was refused: the generator no longer reaches the checks");
        output.WriteLine($"{variant}: {FuzzBudget.Cases(Cases)} hostile cases, {refused} refused by an end, {survived} ran on");
    }

    /// <summary>One case; returns whether an end refused. Throws only what the fuzzer then judges.</summary>
    private static unsafe bool RunCase(RingVariant variant, int seed, bool concurrent, bool nearWrap, (Field Field, Value Value, uint Raw)[] writes)
    {
        uint start = nearWrap ? uint.MaxValue - 40u : 0u;
        using var pair = new RingPair<SequencedRequest, SequencedResponse>(variant, nearWrap ? start : null);
        var random = new Random(seed);
        int size = pair.Front.Size;
        long length = pair.Raw.Length;
        byte* ring = pair.Raw.Pointer;
        using var stop = new CancellationTokenSource();
        Thread? scribbler = null;
        if (concurrent)
        {
            // The hostile peer's second thread: it writes while the ends run, so values change between their reads.
            scribbler = new Thread(() =>
            {
                var noise = new Random(seed ^ 0x5EED);
                while (!stop.IsCancellationRequested)
                {
                    int offset = noise.Next(4) switch
                    {
                        0 => pair.Geometry.RequestProducerOffset,
                        1 => pair.Geometry.ResponseProducerOffset,
                        2 => pair.Geometry.RequestEventOffset,
                        _ => (int)(noise.NextInt64(length / 4) * 4),
                    };
                    Volatile.Write(ref *(uint*)(ring + offset), Pick((Value)noise.Next(8), (uint)noise.Next(), Volatile.Read(ref *(uint*)(ring + offset)), size));
                }
            }) { IsBackground = true };
            scribbler.Start();
        }

        bool frontBroken = false, backBroken = false;
        var requests = new SequencedRequest[size];
        var responses = new SequencedResponse[size];
        try
        {
            foreach ((Field field, Value value, uint raw) in writes)
            {
                Scribble(pair, ring, length, size, field, value, raw);
                for (int step = 0; step < 3; step++)
                {
                    frontBroken = frontBroken || !Attempt(() => FrontStep(pair.Front, random, responses));
                    backBroken = backBroken || !Attempt(() => BackStep(pair.Back, random, requests));
                }
            }
        }
        finally
        {
            stop.Cancel();
            scribbler?.Join();
        }

        // A back restarted over whatever the peer left attaches or refuses, clearly.
        bool reattachRefused = !Attempt(() =>
        {
            using BackRing<SequencedRequest, SequencedResponse> again = BackRing<SequencedRequest, SequencedResponse>.Reattach(pair.Raw, variant);
            _ = again.UnconsumedRequests;
        });
        return frontBroken || backBroken || reattachRefused;
    }

    private static void FrontStep(FrontRing<SequencedRequest, SequencedResponse> front, Random random, SequencedResponse[] responses)
    {
        switch (random.Next(4))
        {
            case 0:
                int produce = random.Next(front.FreeRequests + 1);
                for (int i = 0; i < produce; i++)
                {
                    front.ProduceRequest(new SequencedRequest { Sequence = (ulong)i });
                }

                _ = front.PushRequestsAndCheckNotify();
                break;
            case 1:
                int consumed = front.ConsumeResponses(responses.AsSpan(0, random.Next(1, responses.Length + 1)));
                Check(consumed >= 0 && consumed <= responses.Length, "front consumed", consumed);
                break;
            case 2:
                _ = front.FinalCheckForResponses();
                _ = front.TryConsumeResponse(out _);
                break;
            default:
                int unconsumed = front.UnconsumedResponses;
                Check(unconsumed >= 0 && unconsumed <= front.Size, "unconsumed responses", unconsumed);
                break;
        }

        Check(front.FreeRequests >= 0 && front.FreeRequests <= front.Size, "free requests", front.FreeRequests);
    }

    private static void BackStep(BackRing<SequencedRequest, SequencedResponse> back, Random random, SequencedRequest[] requests)
    {
        switch (random.Next(4))
        {
            case 0:
                int consumed = back.ConsumeRequests(requests.AsSpan(0, random.Next(1, requests.Length + 1)));
                Check(consumed >= 0 && consumed <= requests.Length, "back consumed", consumed);
                break;
            case 1:
                _ = back.TryConsumeRequest(out _);
                _ = back.FinalCheckForRequests();
                break;
            case 2:
                int unconsumed = back.UnconsumedRequests;
                Check(unconsumed >= 0 && unconsumed <= back.Size, "unconsumed requests", unconsumed);
                break;
            default:
                int answer = random.Next(back.PendingResponses + 1);
                for (int i = 0; i < answer; i++)
                {
                    back.ProduceResponse(new SequencedResponse { Sequence = (ulong)i });
                }

                _ = back.PushResponsesAndCheckNotify();
                break;
        }

        Check(back.PendingResponses >= 0 && back.PendingResponses <= back.Size, "pending responses", back.PendingResponses);
    }

    private static unsafe void Scribble(RingPair<SequencedRequest, SequencedResponse> pair, byte* ring, long length, int size, Field field, Value value, uint raw)
    {
        switch (field)
        {
            case Field.RequestProducer:
                pair.RequestProducer = Pick(value, raw, pair.Back.RequestConsumer, size);
                break;
            case Field.ResponseProducer:
                pair.ResponseProducer = Pick(value, raw, pair.Front.ResponseConsumer, size);
                break;
            case Field.RequestEvent:
                Volatile.Write(ref *(uint*)(ring + pair.Geometry.RequestEventOffset), Pick(value, raw, pair.RequestEvent, size));
                break;
            case Field.ResponseEvent:
                Volatile.Write(ref *(uint*)(ring + pair.Geometry.ResponseEventOffset), Pick(value, raw, pair.ResponseEvent, size));
                break;
            default:
                // Garbage anywhere in the file: slots, padding, the other block of a split header.
                long offset = (raw % (uint)(length / 8)) * 8;
                *(ulong*)(ring + offset) = ((ulong)raw << 32) | (uint)(value + 1) * 0x9E3779B9u;
                break;
        }
    }

    private static uint Pick(Value value, uint raw, uint current, int size) => unchecked(value switch
    {
        Value.Raw => raw,
        Value.Near => current + (uint)((int)(raw % 7) - 3),
        Value.OneRingAhead => current + (uint)size,
        Value.PastTheRing => current + (uint)size + 1 + (raw % 3),
        Value.Behind => current - 1 - (raw % (uint)size),
        Value.HalfTheSpace => current + (1u << 31),
        Value.Max => uint.MaxValue,
        _ => 0u,
    });

    /// <summary>Runs one operation of an end; false when it refused with the protocol exception (the end is broken).</summary>
    private static bool Attempt(Action operation)
    {
        try
        {
            operation();
            return true;
        }
        catch (PvRingProtocolException)
        {
            return false;
        }
    }

    private static void Check(bool condition, string what, int value)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"An end's state left the ring: {what}={value}.");
        }
    }
}
