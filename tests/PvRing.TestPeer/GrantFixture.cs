// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Diagnostics;
using PvRing.Grants;
using PvRing.Memory;

namespace PvRing.TestPeer;

/// <summary>
/// The grant scenarios both processes run, whichever role each plays: a fixed set of good and bad grants
/// (<see cref="Grant"/>) with the checks a back must make of them (<see cref="Check"/>), and the two halves of
/// the revocation race (<see cref="RunRaceFront"/>, <see cref="RunRaceBack"/>).
/// </summary>
public static class GrantFixture
{
    public const int Writable = 0;
    public const int ReadOnly = 1;
    public const int OtherDomain = 2;
    public const int HostileFrame = 3;
    public const int Revoked = 4;
    public const int RaceSlots = 4;
    public const string RaceDoneFile = "grant-race-done";
    public const ulong Poison = 0xDEAD_DEAD_DEAD_DEADUL;

    /// <summary>Grants the fixture's entries from <paramref name="front"/> to <paramref name="back"/>; returns their references.</summary>
    public static uint[] Grant(HostDirectory host, GrantDomain front, int back)
    {
        var refs = new uint[5];
        refs[Writable] = front.GrantAccess(back, 0, readOnly: false);
        refs[ReadOnly] = front.GrantAccess(back, 1, readOnly: true);
        refs[OtherDomain] = front.GrantAccess(back + 5, 2, readOnly: false);
        refs[HostileFrame] = front.GrantAccess(back, 3, readOnly: false);
        refs[Revoked] = front.GrantAccess(back, 4, readOnly: false);
        front.GetFrame(0).Fill(0x11);
        front.GetFrame(1).Fill(0x22);
        if (!front.TryEndAccess(refs[Revoked]))
        {
            throw new InvalidOperationException("end access of an unused grant failed");
        }

        // A hostile front rewrites the frame of a valid entry to point far outside its arena.
        using var table = new FileStream(host.GetFilePath($"gnttab-{front.DomainId}"), FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        table.Position = (refs[HostileFrame] * 8) + 4;
        Span<byte> frame = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, 10_000_000);
        table.Write(frame);
        return refs;
    }

    /// <summary>Runs every validation rule against every scheme; writes each failure to <paramref name="log"/> and returns how many.</summary>
    public static int Check(HostDirectory host, ForeignDomain foreign, IReadOnlyList<uint> refs, TextWriter log)
    {
        int failures = 0;
        void Expect(string what, GrantStatus expected, GrantStatus actual)
        {
            if (expected != actual)
            {
                log.WriteLine($"FAIL {what}: expected {expected}, got {actual}");
                failures++;
            }
        }

        var buffer = new byte[64];
        using var copier = new GrantCopier(foreign);
        using var mapper = new GrantMapper(foreign);
        using var persistent = new PersistentGrantMapper(foreign);
        using var direct = new DirectMapper(foreign);
        IGrantMapper[] byReference = [copier, mapper, persistent];
        foreach (IGrantMapper scheme in byReference)
        {
            string name = scheme.Scheme.ToString();
            if (scheme.Scheme == GrantScheme.Persistent)
            {
                // Persistent grants are always mapped writable (blkif's pool is granted read-write).
                Expect($"{name} read ro", GrantStatus.PermissionDenied, scheme.Read(refs[ReadOnly], 0, buffer));
            }
            else
            {
                Expect($"{name} read ro", GrantStatus.Okay, scheme.Read(refs[ReadOnly], 0, buffer));
                Expect($"{name} ro contents", GrantStatus.Okay, buffer[0] == 0x22 ? GrantStatus.Okay : GrantStatus.GeneralError);
            }

            Expect($"{name} write ro", GrantStatus.PermissionDenied, scheme.Write(refs[ReadOnly], 0, buffer));
            Expect($"{name} ref out of range", GrantStatus.BadGntref, scheme.Read(foreign.EntryCount, 0, buffer));
            Expect($"{name} ref huge", GrantStatus.BadGntref, scheme.Read(uint.MaxValue, 0, buffer));
            Expect($"{name} reserved ref", GrantStatus.BadGntref, scheme.Read(1, 0, buffer));
            Expect($"{name} wrong domid", GrantStatus.PermissionDenied, scheme.Read(refs[OtherDomain], 0, buffer));
            Expect($"{name} revoked", GrantStatus.GeneralError, scheme.Read(refs[Revoked], 0, buffer));
            Expect($"{name} hostile frame", GrantStatus.BadPage, scheme.Read(refs[HostileFrame], 0, buffer));
            Expect($"{name} past page", GrantStatus.BadCopyArg, scheme.Read(refs[Writable], 4090, buffer));
            Expect($"{name} negative offset", GrantStatus.BadCopyArg, scheme.Read(refs[Writable], -1, buffer));
            Expect($"{name} offset past page", GrantStatus.BadCopyArg, scheme.Read(refs[Writable], 4097, Span<byte>.Empty));
            Expect($"{name} write rw", GrantStatus.Okay, scheme.Write(refs[Writable], 4096 - 64, buffer));
            Expect($"{name} read rw", GrantStatus.Okay, scheme.Read(refs[Writable], 0, buffer));
        }

        Expect("Direct frame outside arena", GrantStatus.BadPage, direct.Read(foreign.FrameCount, 0, buffer));
        Expect("Direct frame huge", GrantStatus.BadPage, direct.Read(uint.MaxValue, 0, buffer));
        Expect("Direct past page", GrantStatus.BadCopyArg, direct.Read(0, 4050, buffer));
        Expect("Direct read", GrantStatus.Okay, direct.Read(1, 0, buffer));
        Expect("Map bad handle", GrantStatus.BadHandle, mapper.Unmap(new GrantHandle(12345)));
        Expect("Map default handle", GrantStatus.BadHandle, mapper.Unmap(default));
        try
        {
            GrantStatus.PermissionDenied.ThrowIfFailed(refs[ReadOnly]);
            Expect("ThrowIfFailed throws", GrantStatus.GeneralError, GrantStatus.Okay);
        }
        catch (PvRingProtocolException)
        {
        }

        // Nothing the checks did may leave an entry pinned once the persistent cache is dropped.
        persistent.Dispose();
        using var flags = new FileStream(host.GetFilePath($"gnttab-{foreign.DomainId}"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var entry = new byte[2];
        foreach (uint reference in refs)
        {
            flags.Position = reference * 8;
            flags.ReadExactly(entry);
            if ((entry[0] & 0x18) != 0)
            {
                log.WriteLine($"FAIL ref {reference} left pinned: flags=0x{entry[0]:x}");
                failures++;
            }
        }

        return failures;
    }

    /// <summary>The front's half of the race: <paramref name="iterations"/> cycles of end access (spinning while in use), poison, restamp, regrant.</summary>
    public static string RunRaceFront(HostDirectory host, GrantDomain front, int back, int iterations, TimeSpan limit)
    {
        var refs = new uint[RaceSlots];
        for (uint slot = 0; slot < RaceSlots; slot++)
        {
            Stamp(front.GetFrame(slot), 1);
            refs[slot] = front.GrantAccess(back, slot, readOnly: false);
        }

        var clock = Stopwatch.StartNew();
        if (!SpinWait.SpinUntil(() => host.Exists("grant-back-ready"), limit))
        {
            throw new TimeoutException("the back never opened our memory");
        }

        using GrantRaceProgress progress = GrantRaceProgress.Open(host.GetFilePath(GrantRaceProgress.FileName));
        long busy = 0;
        for (int i = 0; i < iterations; i++)
        {
            uint slot = (uint)(i % RaceSlots);
            // Let the back try at least once more before each revocation, so both loops overlap throughout.
            long seen = progress.Value;
            if (!SpinWait.SpinUntil(() => progress.Value > seen, limit))
            {
                throw new TimeoutException("the back stopped making attempts");
            }

            var spinner = default(SpinWait);
            while (!front.TryEndAccess(refs[slot]))
            {
                busy++;
                if (clock.Elapsed > limit)
                {
                    throw new TimeoutException($"end access of ref {refs[slot]} still failing after {limit}");
                }

                spinner.SpinOnce(sleep1Threshold: -1);
            }

            // The page is ours again: any back mapping or copy still in progress would see these writes.
            Span<byte> page = front.GetFrame(slot);
            BinaryPrimitives.WriteUInt64LittleEndian(page, Poison);
            BinaryPrimitives.WriteUInt64LittleEndian(page[^8..], Poison);
            Stamp(page, (ulong)i + 2);
            refs[slot] = front.GrantAccess(back, slot, readOnly: (i & 1) == 0);
        }

        File.WriteAllText(host.GetFilePath(RaceDoneFile), "done");
        return $"front iterations={iterations} busy={busy}";
    }

    /// <summary>The back's half: map or copy the race references until the front is done; returns violations seen.</summary>
    public static int RunRaceBack(HostDirectory host, ForeignDomain foreign, TimeSpan limit, TextWriter log)
    {
        using GrantRaceProgress progress = GrantRaceProgress.Create(host.GetFilePath(GrantRaceProgress.FileName));
        File.WriteAllText(host.GetFilePath("grant-back-ready"), "ready");
        using var mapper = new GrantMapper(foreign);
        using var copier = new GrantCopier(foreign);
        var buffer = new byte[XenPage.Size];
        long maps = 0, copies = 0, refused = 0;
        int violations = 0;
        var clock = Stopwatch.StartNew();
        for (long i = 0; ; i++)
        {
            if ((i & 63) == 0 && (host.Exists(RaceDoneFile) || clock.Elapsed > limit))
            {
                break;
            }

            progress.Increment();
            uint reference = 8 + (uint)(i % RaceSlots);
            if ((i & 1) == 0)
            {
                if (mapper.Map(reference, writable: false, out GrantHandle handle) != GrantStatus.Okay)
                {
                    refused++;
                    continue;
                }

                ReadOnlySpan<byte> page = mapper.GetReadOnlySpan(handle);
                ulong first = BinaryPrimitives.ReadUInt64LittleEndian(page);
                Thread.SpinWait(20);
                ulong again = BinaryPrimitives.ReadUInt64LittleEndian(page);
                ulong last = BinaryPrimitives.ReadUInt64LittleEndian(page[^8..]);
                mapper.Unmap(handle);
                maps++;
                if (first == Poison || first != again || first != last)
                {
                    violations++;
                    log.WriteLine($"VIOLATION map ref={reference} first={first:x} again={again:x} last={last:x}");
                }
            }
            else
            {
                if (copier.Read(reference, 0, buffer) != GrantStatus.Okay)
                {
                    refused++;
                    continue;
                }

                copies++;
                ulong first = BinaryPrimitives.ReadUInt64LittleEndian(buffer);
                ulong last = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(XenPage.Size - 8));
                if (first == Poison || first != last)
                {
                    violations++;
                    log.WriteLine($"VIOLATION copy ref={reference} first={first:x} last={last:x}");
                }
            }
        }

        log.WriteLine($"back maps={maps} copies={copies} refused={refused} violations={violations}");
        return violations;
    }

    private static void Stamp(Span<byte> page, ulong generation)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(page[^8..], generation);
        BinaryPrimitives.WriteUInt64LittleEndian(page, generation);
    }
}
