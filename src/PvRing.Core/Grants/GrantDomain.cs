// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using PvRing.Memory;

namespace PvRing.Grants;

/// <summary>
/// A domain's own memory and the granting side of its grant table: the arena of 4 KiB frames it can grant,
/// and the v1 grant table (<c>grant_entry_v1</c>, as Xen's <c>grant_table.h</c>) that says who may reach which frame.
/// </summary>
/// <remarks>
/// Design: the arena (<c>arena-&lt;domid&gt;</c>) and the table (<c>gnttab-&lt;domid&gt;</c>) are files in the host
/// directory, each written under a temporary name and renamed, arena first, so a mapper that finds the table
/// finds a complete arena. Granting writes <c>domid</c> and <c>frame</c>, then release-stores <c>flags</c>
/// (Xen's <c>wmb()</c>): the flags store is what makes the entry valid. Ending access is Linux's
/// <c>gnttab_end_foreign_access_ref</c>: read the flags, give up while <c>GTF_reading</c>/<c>GTF_writing</c> is set,
/// else compare-and-swap the flags to 0; a failed swap means the mapper pinned the entry meanwhile, so the
/// caller must treat the page as still in use. References come from a lock-free free list
/// (<see cref="IndexFreeList"/>): every method may be called from any thread at once.
/// </remarks>
public sealed unsafe class GrantDomain : IDisposable
{
    private readonly HostDirectory _host;
    private readonly SharedMemoryFile _arena;
    private readonly SharedMemoryFile _table;
    private readonly byte* _arenaBase;
    private readonly byte* _tableBase;
    private readonly IndexFreeList _freeReferences;
    private readonly System.Collections.Concurrent.ConcurrentQueue<uint> _deferredEnds = new();
    private int _disposed;

    private GrantDomain(HostDirectory host, int domainId, SharedMemoryFile arena, SharedMemoryFile table)
    {
        _host = host;
        DomainId = domainId;
        _arena = arena;
        _table = table;
        _arenaBase = arena.Pointer;
        _tableBase = table.Pointer;
        FrameCount = (uint)arena.PageCount;
        EntryCount = (uint)(table.Length / GrantTableLayout.EntrySize);
        Files.Add(arena.CreateGuard(host.GetFilePath(GrantTableLayout.ArenaFileName(domainId)))); // created as temporaries, then renamed
        Files.Add(table.CreateGuard(host.GetFilePath(GrantTableLayout.TableFileName(domainId))));
        _freeReferences = new IndexFreeList((int)EntryCount);
        // Pushed highest first so the first references handed out are 8, 9, 10...
        for (int reference = (int)EntryCount - 1; reference >= (int)GrantTableLayout.ReservedEntries; reference--)
        {
            _freeReferences.Push(reference);
        }

        GrantMetrics.Register(this);
    }

    /// <summary>This domain's id.</summary>
    public int DomainId { get; }

    /// <summary>Grants issued and ended, for the "PvRing.Grants" meter.</summary>
    internal GrantCounters Counters { get; } = new();

    /// <summary>The arena file (frames are its pages); rings over granted frames lease it.</summary>
    internal SharedMemoryFile Arena => _arena;

    /// <summary>
    /// The size checks of this domain's arena and grant table, where they are named files a peer could truncate (empty
    /// for sealed memory): a ring granted from the arena checks both after a sleep, since the front reads the grants too.
    /// </summary>
    internal TruncationGuardSet Files { get; } = new();

    /// <summary>Frames in the arena.</summary>
    public uint FrameCount { get; }

    /// <summary>Entries in the grant table, reserved ones included.</summary>
    public uint EntryCount { get; }

    /// <summary>
    /// Creates the arena and grant table of <paramref name="domainId"/> in <paramref name="host"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="host"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.
    /// Or <paramref name="domainId"/> is not a domain id (0 to 32751).</exception>
    /// <exception cref="PvRingException">The domain's files exist already.</exception>
    public static GrantDomain Create(HostDirectory host, int domainId, GrantDomainOptions? options = null)
    {
        DomainIds.Check(domainId);
        ArgumentNullException.ThrowIfNull(host);
        options ??= new GrantDomainOptions();
        options.Validate();
        string arenaName = GrantTableLayout.ArenaFileName(domainId);
        string tableName = GrantTableLayout.TableFileName(domainId);
        SharedMemoryFile arena = host.CreateTemporaryFile(arenaName, (long)options.ArenaFrames * XenPage.Size, out string arenaTemporary);
        SharedMemoryFile? table = null;
        try
        {
            host.PublishTemporary(arenaTemporary, arenaName);
            table = host.CreateTemporaryFile(tableName, (long)options.GrantTablePages * XenPage.Size, out string tableTemporary);
            WriteHeader(table, (uint)arena.PageCount);
            host.PublishTemporary(tableTemporary, tableName);
            return new GrantDomain(host, domainId, arena, table);
        }
        catch
        {
            table?.Dispose();
            arena.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Grants <paramref name="grantee"/> access to <paramref name="frame"/> of this domain's arena; returns the reference.
    /// </summary>
    /// <param name="grantee">The domain that may map or copy the frame.</param>
    /// <param name="frame">The frame of this domain's arena.</param>
    /// <param name="readOnly">Whether the grantee may only read it.</param>
    /// <param name="counters">The user's own counters (a queue's) to count the grant in; null: the domain's.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="frame"/> is outside the arena.
    /// Or <paramref name="grantee"/> is not a domain id (0 to 32751).</exception>
    /// <exception cref="ArgumentException"><paramref name="counters"/> belong to another domain.</exception>
    /// <exception cref="InvalidOperationException">Every reference is in use.</exception>
    public uint GrantAccess(int grantee, uint frame, bool readOnly, GrantUserCounters? counters = null)
    {
        DomainIds.Check(grantee);
        if (!TryGrantAccess(grantee, frame, readOnly, out uint reference, counters))
        {
            GrantThrowHelper.ThrowTableFull(EntryCount);
        }

        return reference;
    }

    /// <summary>As <see cref="GrantAccess"/>, but returns false instead of throwing when every reference is in use.</summary>
    /// <param name="grantee">The domain that may map or copy the frame.</param>
    /// <param name="frame">The frame of this domain's arena.</param>
    /// <param name="readOnly">Whether the grantee may only read it.</param>
    /// <param name="reference">The reference granted (0 when none is free).</param>
    /// <param name="counters">The user's own counters (a queue's) to count the grant in; null: the domain's.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="frame"/> is outside the arena.
    /// Or <paramref name="grantee"/> is not a domain id (0 to 32751).</exception>
    /// <exception cref="ArgumentException"><paramref name="counters"/> belong to another domain.</exception>
    public bool TryGrantAccess(int grantee, uint frame, bool readOnly, out uint reference, GrantUserCounters? counters = null)
    {
        DomainIds.Check(grantee);
        GrantCounters counted = GrantUserCounters.Select(counters, this, Counters);
        if (frame >= FrameCount)
        {
            GrantThrowHelper.ThrowFrameOutOfRange(frame, FrameCount);
        }

        if (!_freeReferences.TryPop(out int index) && (RetryDeferredEnds() == 0 || !_freeReferences.TryPop(out index)))
        {
            reference = 0;
            return false;
        }

        reference = (uint)index;
        WriteEntry(reference, grantee, frame, readOnly);
        Interlocked.Increment(ref counted.Issued);
        return true;
    }

    /// <summary>
    /// Re-grants an entry this domain holds (after a successful <see cref="TryEndAccess(uint, bool)"/> with
    /// <c>keepReference</c>), as blkfront's persistent pool re-uses its references.
    /// </summary>
    internal void RegrantAccess(uint reference, int grantee, uint frame, bool readOnly)
    {
        CheckReference(reference);
        if (frame >= FrameCount)
        {
            GrantThrowHelper.ThrowFrameOutOfRange(frame, FrameCount);
        }

        WriteEntry(reference, grantee, frame, readOnly);
        Interlocked.Increment(ref Counters.Issued);
    }

    /// <summary>
    /// Ends access through <paramref name="reference"/> and frees the reference. Returns false, changing
    /// nothing, while the grantee still has the page mapped or is copying it (<c>GTF_reading</c> or
    /// <c>GTF_writing</c> set): the caller must then treat the page as still in use and not reuse it.
    /// </summary>
    /// <param name="reference">The reference to end.</param>
    /// <param name="counters">The user's own counters (a queue's) to count the end in; null: the domain's.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reference"/> is reserved or outside the table.</exception>
    /// <exception cref="ArgumentException"><paramref name="counters"/> belong to another domain.</exception>
    public bool TryEndAccess(uint reference, GrantUserCounters? counters = null) =>
        TryEndAccess(reference, keepReference: false, GrantUserCounters.Select(counters, this, Counters));

    /// <summary>As <see cref="TryEndAccess(uint, GrantUserCounters?)"/>; with <paramref name="keepReference"/> the reference stays allocated for <see cref="RegrantAccess"/>.</summary>
    internal bool TryEndAccess(uint reference, bool keepReference) => TryEndAccess(reference, keepReference, Counters);

    private bool TryEndAccess(uint reference, bool keepReference, GrantCounters counted)
    {
        CheckReference(reference);
        uint* combo = (uint*)(_tableBase + (reference * GrantTableLayout.EntrySize));
        // Xen's union grant_combo: {flags, domid} as one aligned 32-bit word, flags in the low half. Acquire:
        // a mapper's pin (GTF_reading) is seen before we decide the page is free.
        uint observed = MemoryOrder.ReadAcquire(combo);
        while (true)
        {
            if ((observed & (uint)(GrantEntryFlags.Reading | GrantEntryFlags.Writing)) != 0)
            {
                return false;
            }

            // Compare-and-swap flags to 0 (a full fence): if the mapper pinned the entry after our read, the swap
            // fails and we see its GTF_reading; if we win, its later pin sees an invalid entry.
            uint seen = Interlocked.CompareExchange(ref *combo, observed & 0xFFFF_0000u, observed);
            if (seen == observed)
            {
                break;
            }

            observed = seen;
        }

        if (!keepReference)
        {
            _freeReferences.Push((int)reference);
        }

        Interlocked.Increment(ref counted.Ended);
        return true;
    }

    /// <summary>
    /// Ends access through <paramref name="reference"/> now if the grantee has let go of the page, or else as soon as it
    /// has: the reference waits on a deferred list that is retried whenever the free references run out (Linux's
    /// <c>gnttab_end_foreign_access</c>, which defers what a grantee still maps). Use it when giving up a grant for good
    /// (closing a device): the reference is not lost while the peer unmaps late, and the page must not be reused
    /// until the reference comes back.
    /// </summary>
    /// <param name="reference">The reference to end.</param>
    /// <param name="counters">The user's own counters (a queue's) to count an end made now in; a deferred end counts as the domain's.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reference"/> is reserved or outside the table.</exception>
    /// <exception cref="ArgumentException"><paramref name="counters"/> belong to another domain.</exception>
    public void EndAccessWhenUnmapped(uint reference, GrantUserCounters? counters = null)
    {
        if (!TryEndAccess(reference, counters))
        {
            _deferredEnds.Enqueue(reference);
        }
    }

    /// <summary>
    /// Gives up <paramref name="reference"/> without ending it now: it joins the deferred ends, retried (and ended once
    /// the grantee does not hold the page) only when the free references run out. For a page the grantee may still read
    /// after an orderly close, such as a request in flight that a closing back end still serves: ending it now would
    /// fail that read, keeping it forever would lose the reference.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reference"/> is reserved or outside the table.</exception>
    public void EndAccessLater(uint reference)
    {
        CheckReference(reference);
        _deferredEnds.Enqueue(reference);
    }

    /// <summary>References whose end waits (<see cref="EndAccessWhenUnmapped"/>, <see cref="EndAccessLater"/>).</summary>
    public int DeferredEndCount => _deferredEnds.Count;

    /// <summary>Retries the deferred ends; returns how many references it freed.</summary>
    public int RetryDeferredEnds()
    {
        int freed = 0;
        for (int i = _deferredEnds.Count; i > 0 && _deferredEnds.TryDequeue(out uint reference); i--)
        {
            if (TryEndAccess(reference))
            {
                freed++;
            }
            else
            {
                _deferredEnds.Enqueue(reference);
            }
        }

        return freed;
    }

    /// <summary>The current flags of <paramref name="reference"/>'s entry (for diagnostics and tests).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reference"/> is outside the table.</exception>
    public GrantEntryFlags GetFlags(uint reference)
    {
        if (reference >= EntryCount)
        {
            GrantThrowHelper.ThrowReferenceOutOfRange(reference, EntryCount);
        }

        // Acquire: a diagnostic read of the word the mapper swaps; it orders nothing else.
        return (GrantEntryFlags)(ushort)MemoryOrder.ReadAcquire((uint*)(_tableBase + (reference * GrantTableLayout.EntrySize)));
    }

    /// <summary>
    /// The 4096 bytes of <paramref name="frame"/> in this domain's arena. Valid until the domain is disposed;
    /// a granted frame is shared with the grantee, so write it before granting and not while it is in use.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="frame"/> is outside the arena.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetFrame(uint frame)
    {
        if (frame >= FrameCount)
        {
            GrantThrowHelper.ThrowFrameOutOfRange(frame, FrameCount);
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return new Span<byte>(_arenaBase + ((long)frame << XenPage.Shift), XenPage.Size);
    }

    /// <summary>
    /// Removes the arena and grant table that domain <paramref name="domainId"/> left in <paramref name="host"/> when its
    /// process died without disposing them (the toolstack's part of destroying a domain). Returns how many files there
    /// were. Call it only for a domain whose process is gone; mappings others still hold stay valid until unmapped.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="host"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="domainId"/> is not a domain id (0 to 32751).</exception>
    public static int RemoveFiles(HostDirectory host, int domainId)
    {
        DomainIds.Check(domainId);
        ArgumentNullException.ThrowIfNull(host);
        int removed = 0;
        foreach (string name in new[] { GrantTableLayout.TableFileName(domainId), GrantTableLayout.ArenaFileName(domainId) })
        {
            removed += host.Exists(name) ? 1 : 0;
            host.Delete(name);
        }

        return removed;
    }

    /// <summary>The host directory the domain's files live in.</summary>
    public HostDirectory Host => _host;

    /// <summary>
    /// Makes the arena and grant table prefer NUMA node <paramref name="node"/> (hackathon item H, see
    /// <see cref="Platform.NumaMemory"/>): call it before the frames are first written, so they are allocated on the node
    /// whichever end touches them first.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="node"/> is not a valid node id.</exception>
    /// <exception cref="PvRingException">The kernel refused (no such node).</exception>
    public void PreferNumaNode(int node)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Platform.NumaMemory.PreferNode(_arena, node);
        Platform.NumaMemory.PreferNode(_table, node);
    }

    /// <summary>Unmaps the arena and table and removes their files; mappings a grantee made stay valid until it unmaps them.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        GrantMetrics.Unregister(Counters);
        Files.Dispose();
        _table.Dispose();
        _arena.Dispose();
        _host.Delete(GrantTableLayout.TableFileName(DomainId));
        _host.Delete(GrantTableLayout.ArenaFileName(DomainId));
    }

    /// <summary>Writes the table's header into its reserved references (<see cref="GrantTableLayout"/>) before the table is published.</summary>
    private static void WriteHeader(SharedMemoryFile table, uint arenaFrames)
    {
        byte* b = table.Pointer;
        *(ushort*)(b + GrantTableLayout.VersionOffset) = GrantTableLayout.Version;
        *(uint*)(b + GrantTableLayout.ArenaFramesOffset) = arenaFrames;

        // The rest of the header is visible before the magic that says it is complete.
        Volatile.Write(ref *(uint*)(b + GrantTableLayout.MagicOffset), GrantTableLayout.Magic);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteEntry(uint reference, int grantee, uint frame, bool readOnly)
    {
        byte* entry = _tableBase + (reference * GrantTableLayout.EntrySize);
        *(uint*)(entry + GrantTableLayout.FrameOffset) = frame;
        GrantEntryFlags flags = GrantEntryFlags.PermitAccess | (readOnly ? GrantEntryFlags.ReadOnly : 0);
        // wmb(); {flags, domid} = ...: the frame is visible before the flags that make the entry valid. The entry
        // is free (flags 0), so no mapper swaps this word now; domid and flags go out in one aligned store.
        MemoryOrder.WriteRelease((uint*)(entry + GrantTableLayout.FlagsOffset), ((uint)grantee << 16) | (uint)flags);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckReference(uint reference)
    {
        if (reference < GrantTableLayout.ReservedEntries || reference >= EntryCount)
        {
            GrantThrowHelper.ThrowReferenceOutOfRange(reference, EntryCount);
        }
    }
}
