// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using PvRing.Memory;

namespace PvRing.Grants;

/// <summary>
/// The mapping side's view of another domain's memory: its grant table and arena, opened from the host
/// directory. The grant mappers (<see cref="GrantCopier"/>, <see cref="GrantMapper"/>,
/// <see cref="PersistentGrantMapper"/>, <see cref="DirectMapper"/>, <see cref="DeferredUnmapMapper"/>) work through it.
/// </summary>
/// <remarks>
/// Design: this object plays Xen's part for one granter. Pinning an entry is Xen's <c>_set_status_v1</c>:
/// one 32-bit compare-and-swap on {flags, domid} (<c>union grant_combo</c>) that checks type =
/// <c>GTF_permit_access</c>, domid = the mapper, no write pin of a <c>GTF_readonly</c> entry, and sets
/// <c>GTF_reading</c> (plus <c>GTF_writing</c> for a writable pin); after <see cref="GrantTableLayout.MaxPinRetries"/>
/// failed swaps it gives up ("unstable entry"), so a granter flipping the word cannot livelock us. The frame is
/// read once, after the pin (copied before it is validated, XSA-155). Pins are counted per reference in a
/// process-local active table, as Xen's <c>active_grant_entry</c>; the shared bits are cleared, with an
/// atomic AND, only when the last pin of their kind goes. The per-entry count word doubles as Xen's
/// per-entry lock; it is only ever contended by two threads of this process pinning the same reference.
/// </remarks>
public sealed unsafe class ForeignDomain : IDisposable
{
    private const int LockBit = 1 << 30;
    private const int WriterUnit = 1 << 15;
    private const int CountMask = WriterUnit - 1;

    private readonly SharedMemoryFile _table;
    private readonly SharedMemoryFile _arena;
    private readonly SafeFileHandle _arenaHandle;
    private readonly byte* _tableBase;
    private readonly byte* _arenaBase;
    private readonly int[] _active;
    private int _disposed;

    private ForeignDomain(HostDirectory host, int localDomainId, int domainId, SharedMemoryFile table, SharedMemoryFile arena, SafeFileHandle arenaHandle)
    {
        Host = host;
        LocalDomainId = localDomainId;
        DomainId = domainId;
        _table = table;
        _arena = arena;
        _arenaHandle = arenaHandle;
        _tableBase = table.Pointer;
        _arenaBase = arena.Pointer;
        FrameCount = (uint)arena.PageCount;
        EntryCount = (uint)(table.Length / GrantTableLayout.EntrySize);
        _active = new int[EntryCount];
        Files.Add(table.CreateGuard());
        Files.Add(arena.CreateGuard());
        GrantMetrics.Register(this);
    }

    /// <summary>The granting domain's id.</summary>
    public int DomainId { get; }

    /// <summary>Maps, unmaps, copies and flushes through this domain's grants, for the "PvRing.Grants" meter.</summary>
    internal GrantCounters Counters { get; } = new();

    /// <summary>The id of the domain this process maps as: grants must name it.</summary>
    public int LocalDomainId { get; }

    /// <summary>Frames in the granter's arena.</summary>
    public uint FrameCount { get; }

    /// <summary>Entries in the granter's grant table.</summary>
    public uint EntryCount { get; }

    internal HostDirectory Host { get; }

    /// <summary>Keeps the grant table mapped (pins can still be released) until the lease is disposed, even if this domain is disposed first.</summary>
    internal MappingLease LeaseTable() => _table.Lease();

    /// <summary>
    /// The size checks of the granter's files that this process maps (its grant table and arena, and the flush pages opened
    /// against it), where they are named files a peer could truncate; empty for sealed memory. A ring mapped from its grants
    /// checks them all after a sleep (<see cref="Rings.BackRing{TRequest, TResponse}.CheckIntact"/>).
    /// </summary>
    internal TruncationGuardSet Files { get; } = new();

    internal byte* ArenaBase => _arenaBase;

    internal int ArenaFileDescriptor => (int)_arenaHandle.DangerousGetHandle();

    /// <summary>
    /// Opens the memory of domain <paramref name="domainId"/> for mapping by <paramref name="localDomainId"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="host"/> is null.</exception>
    /// <exception cref="PvRingProtocolException">The domain does not exist (<c>GNTST_bad_domain</c>) or its files are malformed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="localDomainId"/> or <paramref name="domainId"/> is not a domain id (0 to 32751).</exception>
    public static ForeignDomain Open(HostDirectory host, int localDomainId, int domainId)
    {
        DomainIds.Check(localDomainId);
        DomainIds.Check(domainId);
        ArgumentNullException.ThrowIfNull(host);
        // Sealed memory may still be on its way (opening waits for it); files are there or not.
        if (host.SealedMemory is null && !host.Exists(GrantTableLayout.TableFileName(domainId)))
        {
            throw new PvRingProtocolException($"No such granting domain: status={GrantStatus.BadDomain}, domid={domainId}.");
        }

        SharedMemoryFile? table = null;
        SharedMemoryFile? arena = null;
        SafeFileHandle? handle = null;
        try
        {
            table = host.OpenFile(GrantTableLayout.TableFileName(domainId));
            handle = host.OpenFileHandle(GrantTableLayout.ArenaFileName(domainId));
            arena = host.OpenFile(GrantTableLayout.ArenaFileName(domainId));
            CheckHeader(table, arena, domainId);
            return new ForeignDomain(host, localDomainId, domainId, table, arena, handle);
        }
        catch (Exception e) when (e is FileNotFoundException or PvRingException)
        {
            handle?.Dispose();
            arena?.Dispose();
            table?.Dispose();
            throw new PvRingProtocolException($"Cannot open the memory of domain {domainId}: status={GrantStatus.BadDomain}. {e.Message}", e);
        }
    }

    /// <summary>Checks the grant table's header (<see cref="GrantTableLayout"/>): magic, version, and the arena's size.</summary>
    private static void CheckHeader(SharedMemoryFile table, SharedMemoryFile arena, int domainId)
    {
        byte* b = table.Pointer;

        // Acquire: the granter wrote the header before its magic.
        uint magic = Volatile.Read(ref *(uint*)(b + GrantTableLayout.MagicOffset));
        ushort version = *(ushort*)(b + GrantTableLayout.VersionOffset);
        ushort reserved = *(ushort*)(b + GrantTableLayout.HeaderReservedOffset);
        uint frames = *(uint*)(b + GrantTableLayout.ArenaFramesOffset);
        if (magic != GrantTableLayout.Magic || version != GrantTableLayout.Version || reserved != 0)
        {
            throw new PvRingProtocolException(
                $"The grant table of domain {domainId} is not one this version reads: magic=0x{magic:X8} (expected 0x{GrantTableLayout.Magic:X8}), " +
                $"version={version} (expected {GrantTableLayout.Version}), reserved={reserved}.");
        }

        if (frames != arena.PageCount)
        {
            throw new PvRingProtocolException(
                $"The arena of domain {domainId} does not match its grant table: arena-frames={arena.PageCount}, table-says={frames}.");
        }
    }

    /// <summary>Closes the table and arena. Dispose the mappers made over this domain first.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        GrantMetrics.Unregister(Counters);

        Files.Dispose();
        _arenaHandle.Dispose();
        _arena.Dispose();
        _table.Dispose();
    }

    /// <summary>
    /// Validates <paramref name="reference"/> and pins it for reading (and writing); on success
    /// <paramref name="frame"/> is the validated frame, and the pin must be released with <see cref="Unpin"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal GrantStatus Pin(uint reference, bool writable, out uint frame)
    {
        frame = 0;
        if (reference < GrantTableLayout.ReservedEntries || reference >= EntryCount)
        {
            return GrantStatus.BadGntref;
        }

        ref int active = ref _active[reference];
        int state = LockActive(ref active);
        uint* combo = (uint*)(_tableBase + (reference * GrantTableLayout.EntrySize));
        uint pinBits = (uint)GrantEntryFlags.Reading | (writable ? (uint)GrantEntryFlags.Writing : 0u);
        // Acquire: the granter's release store of {flags, domid} published domid and frame before it.
        uint observed = MemoryOrder.ReadAcquire(combo);
        int failures = 0;
        while (true)
        {
            GrantStatus status = CheckCombo(observed, writable);
            if (status != GrantStatus.Okay)
            {
                Volatile.Write(ref active, state);
                return status;
            }

            // One 32-bit CAS on {flags, domid} (a full fence): validate and pin together, or see the granter's change.
            uint seen = Interlocked.CompareExchange(ref *combo, observed | pinBits, observed);
            if (seen == observed)
            {
                break;
            }

            if (++failures >= GrantTableLayout.MaxPinRetries)
            {
                Volatile.Write(ref active, state);
                return GrantStatus.GeneralError;
            }

            observed = seen;
        }

        // The pin is set: the granter can no longer end access. Read the frame once and validate our copy.
        uint candidate = Volatile.Read(ref *(uint*)((byte*)combo + GrantTableLayout.FrameOffset));
        if (candidate >= FrameCount)
        {
            ClearUnpinnedBits(combo, state);
            Volatile.Write(ref active, state);
            return GrantStatus.BadPage;
        }

        int updated = state + 1 + (writable ? WriterUnit : 0);
        // Release: the active count is published together with the unlock.
        Volatile.Write(ref active, updated);
        frame = candidate;
        return GrantStatus.Okay;
    }

    /// <summary>Releases one pin taken by <see cref="Pin"/>; the shared bits go when their last pin goes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Unpin(uint reference, bool writable)
    {
        ref int active = ref _active[reference];
        int state = LockActive(ref active) - 1 - (writable ? WriterUnit : 0);
        ClearUnpinnedBits((uint*)(_tableBase + (reference * GrantTableLayout.EntrySize)), state);
        Volatile.Write(ref active, state);
    }

    /// <summary>A pointer to byte <paramref name="offset"/> of a validated <paramref name="frame"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte* FramePointer(uint frame, int offset) => _arenaBase + ((long)frame << Memory.XenPage.Shift) + offset;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private GrantStatus CheckCombo(uint combo, bool writable)
    {
        uint flags = combo & 0xFFFF;
        if ((flags & (uint)GrantEntryFlags.TypeMask) != (uint)GrantEntryFlags.PermitAccess)
        {
            return GrantStatus.GeneralError;
        }

        if ((combo >> 16) != LocalDomainId)
        {
            return GrantStatus.PermissionDenied;
        }

        if (writable && (flags & (uint)GrantEntryFlags.ReadOnly) != 0)
        {
            return GrantStatus.PermissionDenied;
        }

        return GrantStatus.Okay;
    }

    /// <summary>Clears GTF_writing when no writer remains and GTF_reading when no pin remains (state holds the remaining counts).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ClearUnpinnedBits(uint* combo, int state)
    {
        uint clear = 0;
        if (((state >> 15) & CountMask) == 0)
        {
            clear |= (uint)GrantEntryFlags.Writing;
        }

        if ((state & CountMask) == 0)
        {
            clear |= (uint)GrantEntryFlags.Reading;
        }

        if (clear != 0)
        {
            // Atomic AND (a full fence): every access to the page through this pin happened before the granter
            // can see the bit clear and end access; it never fails, whatever the granter does to the word.
            Interlocked.And(ref *combo, ~clear);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LockActive(ref int active)
    {
        int state = Volatile.Read(ref active);
        if ((state & LockBit) == 0 && Interlocked.CompareExchange(ref active, state | LockBit, state) == state)
        {
            return state;
        }

        return LockActiveContended(ref active);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int LockActiveContended(ref int active)
    {
        var spinner = default(SpinWait);
        while (true)
        {
            spinner.SpinOnce();
            int state = Volatile.Read(ref active);
            if ((state & LockBit) == 0 && Interlocked.CompareExchange(ref active, state | LockBit, state) == state)
            {
                return state;
            }
        }
    }
}
