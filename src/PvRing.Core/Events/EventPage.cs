// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using PvRing.Memory;
using PvRing.Platform;

namespace PvRing.Events;

/// <summary>
/// A mapped event page (<see cref="EventPageLayout"/>): the owner's own page, or a peer's page this process
/// sets pending bits in. Gives typed references to the shared words; callers choose the ordering.
/// </summary>
/// <remarks>
/// Design: the pointer is taken once; a <see cref="MappingLease"/> keeps the pages mapped until this object is
/// disposed, so a channel never touches unmapped memory even if the file object goes first. The header of a
/// peer's page is validated once when it is opened; everything else a peer writes is validated where it is read.
/// </remarks>
internal sealed unsafe class EventPage : IDisposable
{
    private readonly SharedMemoryFile _file;
    private readonly MappingLease _lease;
    private readonly byte* _base;

    private EventPage(SharedMemoryFile file, int domainId)
    {
        _file = file;
        _lease = file.Lease();
        _base = file.Pointer;
        DomainId = domainId;
    }

    /// <summary>The domain that owns the page.</summary>
    internal int DomainId { get; }

    /// <summary>The owner's identity as recorded in the header (read once at open for a peer's page).</summary>
    internal ProcessIdentity Owner { get; private set; }

    /// <summary>Creates and initialises this process's own page for <paramref name="domainId"/>.</summary>
    internal static EventPage Create(HostDirectory host, int domainId, ProcessIdentity owner)
    {
        SharedMemoryFile file = host.CreateFile(EventPageLayout.FileName(domainId), EventPageLayout.FileSize);
        var page = new EventPage(file, domainId) { Owner = owner };
        byte* b = page._base;
        *(ushort*)(b + EventPageLayout.VersionOffset) = EventPageLayout.Version;
        *(ushort*)(b + EventPageLayout.DomainIdOffset) = (ushort)domainId;
        *(int*)(b + EventPageLayout.OwnerPidOffset) = owner.ProcessId;
        *(uint*)(b + EventPageLayout.MaxPortsOffset) = EventPageLayout.MaxPorts;
        *(ulong*)(b + EventPageLayout.OwnerStartTimeOffset) = owner.StartTime;
        *(uint*)(b + EventPageLayout.LiveOffset) = 1;

        // The header fields above are visible before the magic that says "this page is initialised".
        Volatile.Write(ref *(uint*)(b + EventPageLayout.MagicOffset), EventPageLayout.Magic);
        return page;
    }

    /// <summary>Maps a peer's page and validates its header.</summary>
    /// <exception cref="FileNotFoundException">The domain has no event page.</exception>
    /// <exception cref="PvRingProtocolException">The header is not a valid event page of <paramref name="domainId"/>.</exception>
    internal static EventPage OpenPeer(HostDirectory host, int domainId)
    {
        SharedMemoryFile file;
        try
        {
            file = host.OpenFile(EventPageLayout.FileName(domainId), EventPageLayout.FileSize);
        }
        catch (PvRingException e)
        {
            throw new PvRingProtocolException($"The event page of domain {domainId} is unusable: {e.Message}", e);
        }

        var page = new EventPage(file, domainId);
        try
        {
            byte* b = page._base;

            // Acquire: the owner wrote the header before the magic.
            uint magic = Volatile.Read(ref *(uint*)(b + EventPageLayout.MagicOffset));
            ushort version = *(ushort*)(b + EventPageLayout.VersionOffset);
            ushort recordedDomain = *(ushort*)(b + EventPageLayout.DomainIdOffset);
            uint maxPorts = *(uint*)(b + EventPageLayout.MaxPortsOffset);
            int pid = *(int*)(b + EventPageLayout.OwnerPidOffset);
            ulong start = *(ulong*)(b + EventPageLayout.OwnerStartTimeOffset);
            if (magic != EventPageLayout.Magic || version != EventPageLayout.Version || recordedDomain != domainId
                || maxPorts != EventPageLayout.MaxPorts || pid <= 0)
            {
                throw new PvRingProtocolException(
                    $"Invalid event page for domain {domainId}: magic=0x{magic:X8} version={version} domid={recordedDomain} maxPorts={maxPorts} pid={pid} " +
                    $"(this version reads magic=0x{EventPageLayout.Magic:X8} version={EventPageLayout.Version} maxPorts={EventPageLayout.MaxPorts}).");
            }

            page.Owner = new ProcessIdentity(pid, start);
            return page;
        }
        catch
        {
            page.Dispose();
            throw;
        }
    }

    /// <summary>Whether the owner still has the page open (it clears the flag on a clean close).</summary>
    internal bool IsLive => Volatile.Read(ref *(uint*)(_base + EventPageLayout.LiveOffset)) != 0;

    /// <summary>The binding word of <paramref name="port"/> (validated by the caller: 0 &lt; port &lt; MaxPorts).</summary>
    internal ref ulong Binding(int port) => ref *(ulong*)(PortEntry(port) + EventPageLayout.PortBindingOffset);

    /// <summary>The futex word of <paramref name="port"/>: bumped by whoever wakes the port's sleepers.</summary>
    internal uint* PortFutex(int port) => (uint*)(PortEntry(port) + EventPageLayout.PortFutexOffset);

    /// <summary>The waiters word of <paramref name="port"/> (sync sleepers in the low 16 bits, async waiters above).</summary>
    internal ref uint Waiters(int port) => ref *(uint*)(PortEntry(port) + EventPageLayout.PortWaitersOffset);

    /// <summary>Xen's <c>evtchn_upcall_pending</c>.</summary>
    internal ref uint UpcallPending => ref *(uint*)(_base + EventPageLayout.UpcallPendingOffset);

    /// <summary>Xen's <c>evtchn_pending_sel</c>.</summary>
    internal ref ulong PendingSelector => ref *(ulong*)(_base + EventPageLayout.PendingSelectorOffset);

    /// <summary>The dispatcher's futex word.</summary>
    internal uint* DispatcherFutex => (uint*)(_base + EventPageLayout.DispatcherFutexOffset);

    /// <summary>How many dispatcher threads sleep on <see cref="DispatcherFutex"/> (0 or 1).</summary>
    internal ref uint DispatcherSleepers => ref *(uint*)(_base + EventPageLayout.DispatcherSleepersOffset);

    /// <summary>Word <paramref name="word"/> of the pending bitmap.</summary>
    internal ref ulong PendingWord(int word) => ref *(ulong*)(_base + EventPageLayout.PendingOffset + (word * sizeof(ulong)));

    /// <summary>Word <paramref name="word"/> of the mask bitmap.</summary>
    internal ref ulong MaskWord(int word) => ref *(ulong*)(_base + EventPageLayout.MaskOffset + (word * sizeof(ulong)));

    /// <summary>Sets the pending bit; returns whether it was already set (Xen's <c>test_and_set_bit</c>, a full barrier).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TestAndSetPending(int port)
    {
        ulong bit = 1UL << (port & 63);
        return (Interlocked.Or(ref PendingWord(port >> 6), bit) & bit) != 0;
    }

    /// <summary>Clears the pending bit; returns whether it was set (a full barrier).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TestAndClearPending(int port)
    {
        ulong bit = 1UL << (port & 63);
        return (Interlocked.And(ref PendingWord(port >> 6), ~bit) & bit) != 0;
    }

    /// <summary>Whether the port is pending and not masked: an event the owner may consume. Acquire loads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool IsDeliverable(int port)
    {
        ulong bit = 1UL << (port & 63);

        // Acquire: what the sender wrote before setting the bit (ring indices) is visible once we see it.
        return (Volatile.Read(ref PendingWord(port >> 6)) & bit) != 0 && (Volatile.Read(ref MaskWord(port >> 6)) & bit) == 0;
    }

    /// <summary>Whether the port's mask bit is set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool IsMasked(int port) => (Volatile.Read(ref MaskWord(port >> 6)) & (1UL << (port & 63))) != 0;

    /// <summary>Throws a <see cref="PvRingException"/> if the page's named file was truncated (a slow-path check after sleeps).</summary>
    internal void CheckIntact() => _lease.CheckIntact();

    /// <summary>Marks the page closed, so peers treat the owner as gone even if the process lives on.</summary>
    internal void MarkClosed() => Volatile.Write(ref *(uint*)(_base + EventPageLayout.LiveOffset), 0u);

    public void Dispose()
    {
        _lease.Dispose();
        _file.Dispose();
    }

    private byte* PortEntry(int port) => _base + EventPageLayout.PortTableOffset + (port * EventPageLayout.PortEntrySize);
}
