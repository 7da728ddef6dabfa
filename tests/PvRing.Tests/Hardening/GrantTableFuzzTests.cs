// Licensed under the MIT License. See LICENSE in the repository root.

using CsCheck;
using PvRing.Tests.Grants;
using PvRing.Grants;
using PvRing.Memory;

namespace PvRing.Tests.Hardening;

/// <summary>
/// The bounded hostile fuzzer for grant tables: the granting front plays the hostile peer and rewrites entries (flags of
/// every type with any of the read-only, reading and writing bits, the grantee domid, the frame: inside, at the end of,
/// or far outside the arena), the reserved references where the table's header lives, and references nobody granted,
/// between the mapper's operations and, in half the cases, from a second thread while they run. Every grant mode
/// (copy, map, persistent, direct map, deferred unmap) reads, writes and leases random references at random offsets and
/// lengths: each answers a <see cref="GrantStatus"/> (a lease it grants can be written to its last byte) or throws
/// <see cref="PvRingException"/>; re-opening the domain over the scribbled header does the same; never another exception,
/// a SIGBUS or a hang.
/// </summary>
public sealed unsafe class GrantTableFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Cases = 250;
    private const int Frames = 16;

    public enum Mode
    {
        Copy,
        Map,
        Persistent,
        DirectMap,
        DeferredUnmap,
    }

    [Theory]
    [InlineData(Mode.Copy)]
    [InlineData(Mode.Map)]
    [InlineData(Mode.Persistent)]
    [InlineData(Mode.DirectMap)]
    [InlineData(Mode.DeferredUnmap)]
    public void HostileGrantEntries_EveryOperationAnswersAStatusOrTheLibrarysException(Mode mode)
    {
        Gen<(int, ushort, ushort, uint)[]> writes = Gen.Select(Gen.Int[0, 40], Gen.UShort, Gen.UShort[0, 3], Gen.UInt).Array[1, 30];
        Gen<(int Seed, bool Concurrent, (int, ushort, ushort, uint)[] Writes)> cases = Gen.Select(Gen.Int, Gen.Bool, writes);
        int failedOps = 0, okOps = 0, refusedCases = 0;
        FuzzBudget.Sample(cases, Cases, output, c =>
        {
            (int Ok, int Failed, bool Refused) counts = default;
            string? failure = FuzzBudget.Run(
                $"{mode} seed={c.Seed} concurrent={c.Concurrent}",
                () => counts = RunCase(mode, c.Seed, c.Concurrent, c.Writes),
                e => e is PvRingException);
            okOps += counts.Ok;
            failedOps += counts.Failed;
            refusedCases += counts.Refused ? 1 : 0;
            return failure;
        });
        Assert.True(failedOps > 0 && okOps > 0, $"ok={okOps} failed={failedOps}: the generator no longer reaches both outcomes");
        output.WriteLine($"{mode}: {FuzzBudget.Cases(Cases)} hostile cases, {okOps} operations succeeded, {failedOps} answered an error status, {refusedCases} cases refused with an exception");
    }

    private static (int Ok, int Failed, bool Refused) RunCase(Mode mode, int seed, bool concurrent, (int Reference, ushort Flags, ushort Domain, uint Frame)[] writes)
    {
        using var domains = new GrantTestDomains(arenaFrames: Frames);
        using DeferredUnmapFrontend? flush = mode == Mode.DeferredUnmap ? DeferredUnmapFrontend.Create(domains.Host.Host, GrantTestDomains.FrontId, GrantTestDomains.BackId) : null;
        var references = new uint[Frames];
        for (uint f = 0; f < Frames; f++)
        {
            references[f] = domains.Front.GrantAccess(GrantTestDomains.BackId, f, readOnly: f % 4 == 3);
        }

        using SharedMemoryFile table = domains.Host.Host.OpenFile("gnttab-1");
        uint entries = (uint)(table.Length / GrantTableLayout.EntrySize);
        using var stop = new CancellationTokenSource();
        Thread? flipper = null;
        if (concurrent)
        {
            flipper = new Thread(() =>
            {
                var noise = new Random(seed ^ 0x5EED);
                while (!stop.IsCancellationRequested)
                {
                    Write(table, (uint)noise.Next(40), (ushort)noise.Next(), (ushort)noise.Next(4), (uint)noise.Next(Frames + 2));
                }
            }) { IsBackground = true };
            flipper.Start();
        }

        var random = new Random(seed);
        int ok = 0, failed = 0;
        bool refused = false;
        IGrantMapper mapper = mode switch
        {
            Mode.Copy => new GrantCopier(domains.Foreign),
            Mode.Map => new GrantMapper(domains.Foreign),
            Mode.Persistent => new PersistentGrantMapper(domains.Foreign),
            Mode.DirectMap => new DirectMapper(domains.Foreign),
            _ => new DeferredUnmapMapper(domains.Foreign),
        };
        try
        {
            var buffer = new byte[XenPage.Size];
            foreach ((int reference, ushort flags, ushort domain, uint frame) in writes)
            {
                Write(table, (uint)reference, flags, domain, frame);
                for (int op = 0; op < 4; op++)
                {
                    uint target = random.Next(8) switch
                    {
                        0 => (uint)random.Next(),
                        1 => (uint)random.Next(8),
                        2 => entries + (uint)random.Next(3),
                        _ => mode == Mode.DirectMap ? (uint)random.Next(Frames + 2) : references[random.Next(Frames)],
                    };
                    int offset = random.Next(5) == 0 ? random.Next(-2, 8192) : random.Next(XenPage.Size);
                    int length = Math.Clamp(random.Next(5) == 0 ? random.Next(8192) : random.Next(XenPage.Size - Math.Clamp(offset, 0, XenPage.Size) + 1), 0, XenPage.Size);
                    GrantStatus status;
                    try
                    {
                        status = random.Next(3) switch
                        {
                            0 => mapper.Read(target, offset, buffer.AsSpan(0, length)),
                            1 => mapper.Write(target, offset, buffer.AsSpan(0, length)),
                            _ => Lease(mapper, target, offset, length, random.Next(2) == 0),
                        };
                    }
                    catch (PvRingException)
                    {
                        refused = true;
                        continue;
                    }

                    ok += status == GrantStatus.Okay ? 1 : 0;
                    failed += status == GrantStatus.Okay ? 0 : 1;
                }
            }

            // The granter ends access over whatever the peer left: true or false (still in use), never a throw.
            foreach (uint reference in references)
            {
                _ = domains.Front.TryEndAccess(reference);
            }
        }
        finally
        {
            stop.Cancel();
            flipper?.Join();
            mapper.Dispose();
        }

        // A mapper that opens the domain again reads the scribbled header: it attaches or refuses clearly.
        try
        {
            using ForeignDomain again = ForeignDomain.Open(domains.Host.Host, GrantTestDomains.BackId, GrantTestDomains.FrontId);
        }
        catch (PvRingProtocolException)
        {
            refused = true;
        }

        return (ok, failed, refused);
    }

    internal static GrantStatus Lease(IGrantMapper mapper, uint reference, int offset, int length, bool writable)
    {
        GrantStatus status = mapper.Acquire(reference, offset, length, writable, out GrantLease lease);
        if (status != GrantStatus.Okay)
        {
            return status;
        }

        // Every byte of a lease is this process's to touch: a bad frame would fault here.
        Span<byte> span = lease.Span;
        if (writable)
        {
            span.Fill(0x5A);
        }
        else if (span.Length > 0)
        {
            _ = span[0] + span[^1];
        }

        return mapper.Release(ref lease);
    }

    private static void Write(SharedMemoryFile table, uint reference, ushort flags, ushort domain, uint frame)
    {
        byte* entry = table.Pointer + (reference * GrantTableLayout.EntrySize);
        // Frames near the arena's end, or anywhere; domids 0..3 mostly (the mapper is 0), flags of every kind.
        uint badFrame = (frame & 3) switch { 0 => frame % (Frames + 2), 1 => Frames - 1 + (frame % 3), 2 => uint.MaxValue - (frame % 2), _ => frame };
        *(uint*)(entry + GrantTableLayout.FrameOffset) = badFrame;
        Volatile.Write(ref *(uint*)entry, flags | ((uint)domain << 16));
    }
}
