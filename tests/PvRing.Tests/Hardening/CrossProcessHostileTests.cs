// Licensed under the MIT License. See LICENSE in the repository root.

using CsCheck;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Rings;
using PvRing.TestPeer;

namespace PvRing.Tests.Hardening;

/// <summary>
/// The cross-process hostile-peer fuzzer (issue 14, point 6): a real second process (<see cref="HostileWriter"/>, the test
/// peer's <c>hostile-writer</c>) maps the shared files of each case by path and writes random and adversarial values into
/// them (ring headers and slots of every variant, event pages, grant entries, arenas with the netif rings and packet
/// chains, flush pages; and, for the store, keys and raw frames) while the survivor runs here: honest ring ends, an event
/// channel, the grant mappers, a connected <c>NetFrontend</c>/<c>NetBackend</c>, the store and the bus negotiation, and the
/// host directory's listing and inspection. The survivor delivers only what fits its checks, or throws the library's
/// <see cref="PvRingException"/> (protocol errors, a peer gone, a failed negotiation); never another exception, a hang
/// (each case is bounded by <see cref="FuzzBudget.CaseBound"/>, every wait has a timeout), or a crash. CsCheck draws the
/// cases and prints a failing one's seed (<c>CsCheck_Seed=SEED</c>); the writer's seed is printed with every run
/// (<c>PVRING_FUZZ_SEED=SEED</c> replays its values); <c>PVRING_FUZZ_SCALE=N</c> runs N times the cases.
/// </summary>
public sealed partial class CrossProcessHostileTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int RingCases = 60;
    private const int EventCases = 50;
    private const int GrantCases = 50;
    private const int Frames = 16;

    private static readonly RingVariant[] s_variants =
    [
        RingVariant.Classic(0),
        RingVariant.Classic(2),
        new(RingFeatures.SplitIndexes),
        new(RingFeatures.AlignedSlots),
        new(RingFeatures.SplitRings),
        new(RingFeatures.SplitIndexes | RingFeatures.AlignedSlots | RingFeatures.SplitRings, 1),
    ];

    [Fact]
    public void Rings_EveryVariantWhileAnotherProcessWrites_EndsWorkOrRefuseWithProtocolError()
    {
        var tally = new FuzzTally();
        using HostileWriter writer = StartWriter("rings");
        Gen<(int Variant, int Seed, bool ArmFirst)> cases = Gen.Select(Gen.Int[0, s_variants.Length - 1], Gen.Int, Gen.Bool);
        FuzzBudget.Sample(cases, RingCases, output, c => FuzzBudget.Run(
            $"{s_variants[c.Variant]} seed={c.Seed} arm-first={c.ArmFirst} writer={writer.Seed}",
            () => RunRingCase(writer, s_variants[c.Variant], c.Seed, c.ArmFirst, tally),
            e => e is PvRingProtocolException));
        Report(writer, tally, "rings");
        Assert.True(tally["refused"] > 0 && tally["responses"] > 0, $"the writer no longer reaches both outcomes: {tally}");
    }

    [Fact]
    public void EventPages_WhileAnotherProcessWrites_ChannelWorksOrThrowsTheLibrarysException()
    {
        var tally = new FuzzTally();
        using HostileWriter writer = StartWriter("event pages");
        FuzzBudget.Sample(Gen.Int, EventCases, output, seed => FuzzBudget.Run(
            $"seed={seed} writer={writer.Seed}", () => RunEventCase(writer, seed, tally), e => e is PvRingException));
        Report(writer, tally, "event pages");
        Assert.True(tally["refused"] > 0 && tally["signaled"] > 0, $"the writer no longer reaches both outcomes: {tally}");
    }

    [Fact]
    public void GrantTables_WhileAnotherProcessWrites_EveryMapperAnswersAStatusOrTheLibrarysException()
    {
        var tally = new FuzzTally();
        using HostileWriter writer = StartWriter("grant tables");
        Gen<(GrantTableFuzzTests.Mode Mode, int Seed)> cases = Gen.Select(Gen.Enum<GrantTableFuzzTests.Mode>(), Gen.Int);
        FuzzBudget.Sample(cases, GrantCases, output, c => FuzzBudget.Run(
            $"{c.Mode} seed={c.Seed} writer={writer.Seed}", () => RunGrantCase(writer, c.Mode, c.Seed, tally), e => e is PvRingException));
        Report(writer, tally, "grant tables");
        Assert.True(tally["ok"] > 0 && tally["error-status"] > 0, $"the writer no longer reaches both outcomes: {tally}");
    }

    private HostileWriter StartWriter(string what, string? storeSocket = null, bool hostileStore = false)
    {
        HostileWriter writer = HostileWriter.Start(FuzzBudget.RunSeed, storeSocket, hostileStore);
        output.WriteLine($"{what}: hostile writer seed={writer.Seed}; replay its values with PVRING_FUZZ_SEED={writer.Seed} " +
            "(and a failing case with the CsCheck_Seed it prints); PVRING_FUZZ_SCALE=N runs N times the cases");
        return writer;
    }

    private void Report(HostileWriter writer, FuzzTally tally, string what, bool endsByItself = false)
    {
        IReadOnlyDictionary<string, long> counts = endsByItself ? writer.WaitForEnd() : writer.Stop();
        IReadOnlyList<string> left = writer.LeftOpen();
        Assert.True(left.Count == 0, $"{what}: the ended cases left {left.Count} descriptors or mappings: {string.Join(" | ", left.Take(20))}");
        output.WriteLine($"{what}: survivor {tally}; writer {string.Join(' ', counts.Select(p => $"{p.Key}={p.Value}"))}");
        output.WriteLine($"{what}: first refusals: {tally.FirstRefusals}");
        Assert.True(counts["writes"] + counts["key-writes"] + counts["raw-frames"] > 0, "the hostile writer wrote nothing");
    }

    /// <summary>An honest front and back exchange sequenced requests over a ring the writer scribbles on.</summary>
    private static void RunRingCase(HostileWriter writer, RingVariant variant, int seed, bool armFirst, FuzzTally tally)
    {
        HostDirectory host = writer.NewCase(seed);
        try
        {
            if (armFirst)
            {
                HostileWriter.Arm(host); // the writer may find the file while it is being made
            }

            string name = $"ring-{(int)variant.Features}-{variant.Order}";
            using FrontRing<SequencedRequest, SequencedResponse> front = RingFile.Create<SequencedRequest, SequencedResponse>(host, name, variant);
            using BackRing<SequencedRequest, SequencedResponse> back = RingFile.Attach<SequencedRequest, SequencedResponse>(host, name, variant);
            using EventDomain frontEvents = EventDomain.Create(host, 1);
            using EventDomain backEvents = EventDomain.Create(host, 0);
            using EventChannel frontChannel = frontEvents.AllocateUnbound(0);
            using EventChannel backChannel = backEvents.BindInterdomain(1, frontChannel.Port);
            front.Notifier = frontChannel;
            back.Notifier = backChannel;
            HostileWriter.Arm(host);
            var random = new Random(seed);
            var requests = new SequencedRequest[front.Size];
            var responses = new SequencedResponse[front.Size];
            bool frontBroken = false, backBroken = false;
            ulong sent = 0;
            writer.WaitForHits(host, [name, "evtchn-0", "evtchn-1"], () =>
            {
                frontBroken = frontBroken || !tally.Attempt(() => RingFrontStep(front, frontChannel, random, responses, ref sent, tally));
                backBroken = backBroken || !tally.Attempt(() => RingBackStep(back, backChannel, random, requests, tally));
            });

            // A back restarted over whatever the writer left attaches or refuses, clearly.
            tally.Attempt(() =>
            {
                using SharedMemoryFile file = host.OpenFile(name);
                using BackRing<SequencedRequest, SequencedResponse> again = BackRing<SequencedRequest, SequencedResponse>.Reattach(file, variant);
                _ = again.UnconsumedRequests;
            });
            InspectHost(host, tally);
        }
        finally
        {
            HostileWriter.EndCase(host);
        }
    }

    private static void RingFrontStep(
        FrontRing<SequencedRequest, SequencedResponse> front, EventChannel channel, Random random, SequencedResponse[] responses, ref ulong sent, FuzzTally tally)
    {
        int produce = random.Next(front.FreeRequests + 1);
        for (int i = 0; i < produce; i++, sent++)
        {
            front.ProduceRequest(new SequencedRequest { Sequence = sent, Payload = sent ^ 0x5555 });
        }

        if (front.PushRequestsAndCheckNotify())
        {
            channel.Notify();
        }

        if (random.Next(4) == 0)
        {
            // A bounded sleep on the channel whose page the writer scribbles too: signalled, timed out, or the library's exception.
            TimeSpan timeout = TimeSpan.FromMilliseconds(random.Next(3));
            EventWaitResult result = random.Next(2) == 0
                ? front.WaitForResponses(channel, timeout, CancellationToken.None)
                : front.WaitForResponsesAsync(channel, timeout, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            tally.Add("wait:" + result);
        }

        int consumed = front.ConsumeResponses(responses.AsSpan(0, random.Next(1, responses.Length + 1)));
        Check(consumed >= 0 && consumed <= responses.Length, "front consumed", consumed);
        for (int i = 0; i < consumed; i++)
        {
            // A response is whole and ours, or the writer changed its slot (its right: the slots are shared).
            ulong sequence = responses[i].Sequence;
            bool ours = responses[i].Checksum == SequencedResponse.ChecksumOf(new SequencedRequest { Sequence = sequence, Payload = sequence ^ 0x5555 });
            tally.Add(ours ? "responses" : "responses-altered");
        }

        _ = front.FinalCheckForResponses();
        Check(front.FreeRequests >= 0 && front.FreeRequests <= front.Size, "free requests", front.FreeRequests);
        Check(front.UnconsumedResponses >= 0 && front.UnconsumedResponses <= front.Size, "unconsumed responses", front.UnconsumedResponses);
    }

    private static void RingBackStep(BackRing<SequencedRequest, SequencedResponse> back, EventChannel channel, Random random, SequencedRequest[] requests, FuzzTally tally)
    {
        if (random.Next(4) == 0)
        {
            TimeSpan timeout = TimeSpan.FromMilliseconds(random.Next(3));
            EventWaitResult result = random.Next(2) == 0
                ? back.WaitForRequests(channel, timeout, CancellationToken.None)
                : back.WaitForRequestsAsync(channel, timeout, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            tally.Add("wait:" + result);
        }

        int consumed = random.Next(2) == 0
            ? back.ConsumeRequests(requests.AsSpan(0, random.Next(1, requests.Length + 1)))
            : back.TryConsumeRequest(out requests[0]) ? 1 : 0;
        Check(consumed >= 0 && consumed <= requests.Length, "back consumed", consumed);
        tally.Add("requests", consumed);
        for (int i = 0; i < consumed && back.PendingResponses > 0; i++)
        {
            back.ProduceResponse(new SequencedResponse { Sequence = requests[i].Sequence, Checksum = SequencedResponse.ChecksumOf(requests[i]) });
        }

        if (back.PushResponsesAndCheckNotify())
        {
            channel.Notify();
        }

        _ = back.FinalCheckForRequests();
        Check(back.PendingResponses >= 0 && back.PendingResponses <= back.Size, "pending responses", back.PendingResponses);
        Check(back.UnconsumedRequests >= 0 && back.UnconsumedRequests <= back.Size, "unconsumed requests", back.UnconsumedRequests);
    }

    /// <summary>Domain 2's channel to domain 1 notifies, waits (bounded), masks and closes while the writer scribbles both pages.</summary>
    private static void RunEventCase(HostileWriter writer, int seed, FuzzTally tally)
    {
        HostDirectory host = writer.NewCase(seed);
        try
        {
            using EventDomain front = EventDomain.Create(host, 1);
            using EventDomain back = EventDomain.Create(host, 2);
            using EventChannel offered = front.AllocateUnbound(2);
            EventChannel victim = back.BindInterdomain(1, offered.Port);
            HostileWriter.Arm(host);
            var random = new Random(seed);
            bool broken = false;
            writer.WaitForHits(host, ["evtchn-1", "evtchn-2"], () =>
            {
                broken = broken || !tally.Attempt(() => EventStep(victim, offered, random, tally));
            });

            // Closing over whatever the writer left, then a fresh bind of a new port and its close.
            tally.Attempt(victim.Dispose);
            tally.Attempt(() =>
            {
                using EventChannel again = front.AllocateUnbound(2);
                using EventChannel bound = back.BindInterdomain(1, again.Port);
                bound.Notify();
                tally.Add(again.Wait(TimeSpan.FromMilliseconds(1)) == EventWaitResult.Signaled ? "signaled" : "not-signaled");
            });
            InspectHost(host, tally);
        }
        finally
        {
            HostileWriter.EndCase(host);
        }
    }

    private static void EventStep(EventChannel victim, EventChannel peer, Random random, FuzzTally tally)
    {
        EventWaitResult result = EventWaitResult.Signaled;
        switch (random.Next(5))
        {
            case 0:
                victim.Notify();
                result = peer.Wait(TimeSpan.FromMilliseconds(random.Next(2)));
                break;
            case 1:
                peer.Notify();
                result = victim.Wait(TimeSpan.FromMilliseconds(random.Next(3)));
                break;
            case 2:
                peer.Notify();
                result = victim.WaitAsync(TimeSpan.FromMilliseconds(random.Next(1, 3))).AsTask().GetAwaiter().GetResult();
                break;
            case 3:
                victim.Mask();
                victim.Unmask();
                return;
            default:
                _ = victim.State;
                _ = victim.RemotePort;
                _ = victim.IsPending;
                return;
        }

        tally.Add(result == EventWaitResult.Signaled ? "signaled" : "not-signaled");
    }

    /// <summary>A mapper of <paramref name="mode"/> reads, writes and leases the front's grants while the writer rewrites the table and the arena.</summary>
    private static void RunGrantCase(HostileWriter writer, GrantTableFuzzTests.Mode mode, int seed, FuzzTally tally)
    {
        HostDirectory host = writer.NewCase(seed);
        try
        {
            using GrantDomain front = GrantDomain.Create(host, 1, new GrantDomainOptions { ArenaFrames = Frames });
            using DeferredUnmapFrontend? flush = mode == GrantTableFuzzTests.Mode.DeferredUnmap ? DeferredUnmapFrontend.Create(host, 1, 0) : null;
            var references = new uint[Frames];
            for (uint f = 0; f < Frames; f++)
            {
                references[f] = front.GrantAccess(0, f, readOnly: f % 4 == 3);
            }

            using ForeignDomain foreign = ForeignDomain.Open(host, 0, 1);
            using IGrantMapper mapper = mode switch
            {
                GrantTableFuzzTests.Mode.Copy => new GrantCopier(foreign),
                GrantTableFuzzTests.Mode.Map => new GrantMapper(foreign),
                GrantTableFuzzTests.Mode.Persistent => new PersistentGrantMapper(foreign),
                GrantTableFuzzTests.Mode.DirectMap => new DirectMapper(foreign),
                _ => new DeferredUnmapMapper(foreign),
            };
            HostileWriter.Arm(host);
            var random = new Random(seed);
            var buffer = new byte[XenPage.Size];
            writer.WaitForHits(host, ["gnttab-1", "arena-1"], () => tally.Attempt(() =>
            {
                uint target = random.Next(6) switch
                {
                    0 => (uint)random.Next(),
                    1 => (uint)random.Next(8),
                    2 => foreign.EntryCount + (uint)random.Next(3),
                    _ => mode == GrantTableFuzzTests.Mode.DirectMap ? (uint)random.Next(Frames + 2) : references[random.Next(Frames)],
                };
                int offset = random.Next(5) == 0 ? random.Next(-2, 8192) : random.Next(XenPage.Size);
                int length = Math.Clamp(random.Next(5) == 0 ? random.Next(8192) : random.Next(XenPage.Size - Math.Clamp(offset, 0, XenPage.Size) + 1), 0, XenPage.Size);
                GrantStatus status = random.Next(3) switch
                {
                    0 => mapper.Read(target, offset, buffer.AsSpan(0, length)),
                    1 => mapper.Write(target, offset, buffer.AsSpan(0, length)),
                    _ => GrantTableFuzzTests.Lease(mapper, target, offset, length, random.Next(2) == 0),
                };
                tally.Add(status == GrantStatus.Okay ? "ok" : "error-status");
            }));

            // The granter ends access over whatever the writer left: true or false (still in use), never a throw.
            foreach (uint reference in references)
            {
                tally.Attempt(() => tally.Add(front.TryEndAccess(reference) ? "ended" : "still-in-use"));
            }

            // A mapper opening the domain again reads the scribbled header: it attaches or refuses clearly.
            tally.Attempt(() =>
            {
                using ForeignDomain again = ForeignDomain.Open(host, 0, 1);
            });
            InspectHost(host, tally);
        }
        finally
        {
            HostileWriter.EndCase(host);
        }
    }

    /// <summary><c>pvring ls</c> and <c>inspect</c> over the scribbled files: each entry is listed, then inspected or refused clearly.</summary>
    private static void InspectHost(HostDirectory host, FuzzTally tally) => tally.Attempt(() =>
    {
        foreach (HostFileEntry entry in HostFileInspector.List(host.Path).Where(e => Path.GetFileName(e.Path) != HostileWriterVerb.ArmFile))
        {
            tally.Add("listed:" + entry.Kind);
            tally.Attempt(() => _ = HostFileInspector.Inspect(entry.Path));
        }
    });

    private static void Check(bool condition, string what, int value)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"An end's state left the ring: {what}={value}.");
        }
    }
}
