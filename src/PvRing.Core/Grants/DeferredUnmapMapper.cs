// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using PvRing.Memory;
using PvRing.Platform;

namespace PvRing.Grants;

/// <summary>
/// The frontend-driven TLB flush of the hackathon minutes (<c>feature-deferred-unmap</c>): the back maps as
/// <see cref="GrantMapper"/> does, but <see cref="Release(GrantHandle)"/> only queues the unmap; queued unmaps run as one
/// batch when the front asks for a flush (<see cref="DeferredUnmapFrontend.RequestFlush"/>) or when the
/// mapping table runs full. A queued page stays mapped and pinned, so the front's end-access fails until the
/// flush that covers it has completed: the front cannot reuse it early.
/// </summary>
/// <remarks>
/// Concurrency: <see cref="Map"/> and <see cref="Release(GrantHandle)"/> may run on any threads (the queue is a lock-free
/// stack); <see cref="ServiceFlush"/> too: concurrent callers (one service loop per ring) skip while one of them flushes.
/// </remarks>
public sealed unsafe class DeferredUnmapMapper : IGrantMapper
{
    private const int EmptyQueue = -1;

    private readonly MapTrack _track;
    private readonly GrantCounters _counters;
    private readonly SharedMemoryFile _flushPage;
    private readonly ForeignDomain _domain;
    private readonly TruncationGuard? _flushGuard;
    private readonly uint* _requested;
    private readonly uint* _completed;
    private readonly int[] _queuedNext;
    private int _queueHead = EmptyQueue;
    private uint _lastCompleted;
    private int _flushing;

    /// <summary>
    /// Creates a deferred-unmap mapper over <paramref name="domain"/>'s grants; the front must have created the
    /// flush page (<see cref="DeferredUnmapFrontend.Create"/>) first.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is null.</exception>
    /// <param name="domain">The front's grants.</param>
    /// <param name="maxMappings">The most pages mapped at once.</param>
    /// <param name="flushPage">Which of the front's flush pages this mapper answers (its queue; 0 for the first or only one).</param>
    /// <param name="counters">The user's own counters (a queue's) to count the maps, unmaps and flushes in; null: the domain's.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxMappings"/> is not 1 to 65536, or <paramref name="flushPage"/> not 0 to 255.</exception>
    /// <exception cref="ArgumentException"><paramref name="counters"/> belong to another domain.</exception>
    /// <exception cref="PvRingProtocolException">The front's flush page is missing or malformed.</exception>
    public DeferredUnmapMapper(ForeignDomain domain, int maxMappings = 1024, int flushPage = 0, GrantUserCounters? counters = null)
    {
        ArgumentNullException.ThrowIfNull(domain);
        _counters = GrantUserCounters.Select(counters, domain, domain.Counters);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMappings, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMappings, 65536);
        ArgumentOutOfRangeException.ThrowIfNegative(flushPage);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(flushPage, GrantTableLayout.MaxFlushPages);
        string name = GrantTableLayout.FlushFileName(domain.DomainId, domain.LocalDomainId, flushPage);
        try
        {
            _flushPage = domain.Host.OpenFile(name, XenPage.Size);
        }
        catch (Exception e) when (e is FileNotFoundException or PvRingException)
        {
            throw new PvRingProtocolException($"The front's flush page is unusable: name={name}. {e.Message}", e);
        }

        // Acquire: the front wrote the version before the magic.
        uint magic = Volatile.Read(ref *(uint*)(_flushPage.Pointer + UnmapFlushLayout.MagicOffset));
        ushort version = *(ushort*)(_flushPage.Pointer + UnmapFlushLayout.VersionOffset);
        if (magic != UnmapFlushLayout.Magic || version != UnmapFlushLayout.Version)
        {
            _flushPage.Dispose();
            throw new PvRingProtocolException(
                $"The front's flush page is not one this version reads: name={name}, magic=0x{magic:X8} (expected 0x{UnmapFlushLayout.Magic:X8}), version={version} (expected {UnmapFlushLayout.Version}).");
        }

        _track = new MapTrack(domain, maxMappings, _counters);
        _domain = domain;

        // The service loop reads the flush page after each wake-up: the rings' check after a sleep covers it too.
        _flushGuard = _flushPage.CreateGuard();
        domain.Files.Add(_flushGuard);
        _queuedNext = new int[maxMappings + 1];
        _requested = (uint*)(_flushPage.Pointer + UnmapFlushLayout.RequestedOffset);
        _completed = (uint*)(_flushPage.Pointer + UnmapFlushLayout.CompletedOffset);
        // Acquire: start from the epoch the front last saw completed.
        _lastCompleted = MemoryOrder.ReadAcquire(_completed);
    }

    /// <inheritdoc/>
    public GrantScheme Scheme => GrantScheme.DeferredUnmap;

    /// <summary>Flush batches performed (front requests and full-table flushes).</summary>
    public long FlushCount { get; private set; }

    /// <summary>Validates, pins and maps <paramref name="reference"/>, flushing queued unmaps first if the table is full.</summary>
    public GrantStatus Map(uint reference, bool writable, out GrantHandle handle)
    {
        GrantStatus status = _track.Map(reference, writable, out handle);
        if (status == GrantStatus.NoSpace && UnmapQueued() > 0)
        {
            status = _track.Map(reference, writable, out handle);
        }

        return status;
    }

    /// <summary>The mapped page; valid until the flush that unmaps it.</summary>
    /// <exception cref="ArgumentException">The handle is not live.</exception>
    public Span<byte> GetSpan(GrantHandle handle)
    {
        byte* address = _track.Address(handle, out bool writable);
        if (!writable)
        {
            GrantThrowHelper.ThrowReadOnlyMapping(handle.Value);
        }

        return new Span<byte>(address, XenPage.Size);
    }

    /// <summary>The mapped page, read-only; valid until the flush that unmaps it.</summary>
    /// <exception cref="ArgumentException">The handle is not live.</exception>
    public ReadOnlySpan<byte> GetReadOnlySpan(GrantHandle handle) => new(_track.Address(handle, out _), XenPage.Size);

    /// <summary>Queues the unmap of <paramref name="handle"/> for the next flush. The caller must not use the page afterwards.</summary>
    /// <exception cref="ArgumentException">The handle is not live.</exception>
    public void Release(GrantHandle handle)
    {
        _ = _track.Address(handle, out _);
        int slot = handle.Value;
        while (true)
        {
            int head = Volatile.Read(ref _queueHead);
            _queuedNext[slot] = head;
            // CAS (a full fence) publishes the link before the new head; the consumer takes the whole stack at once.
            if (Interlocked.CompareExchange(ref _queueHead, slot, head) == head)
            {
                return;
            }
        }
    }

    /// <summary>
    /// If the front asked for a flush since the last one, unmaps every queued page and publishes the completed
    /// epoch (waking the front). Returns how many pages were unmapped; call it from the back's service loop.
    /// </summary>
    public int ServiceFlush()
    {
        // Acquire: the front's request is read before we take the queue, so every release the front's
        // earlier responses depended on is in the batch below.
        uint requested = MemoryOrder.ReadAcquire(_requested);
        if (requested == Volatile.Read(ref _lastCompleted) || Interlocked.CompareExchange(ref _flushing, 1, 0) != 0)
        {
            // Nothing asked, or another service loop (the other ring of the same connection) is flushing right now.
            return 0;
        }

        int unmapped = UnmapQueued();
        Volatile.Write(ref _lastCompleted, requested);
        // wmb(); flush_completed = requested: the unmaps (and the cleared GTF bits) happen before the front sees the epoch.
        MemoryOrder.WriteRelease(_completed, requested);
        Volatile.Write(ref _flushing, 0);
        _ = PlatformServices.Futex.Wake(_completed, int.MaxValue);
        return unmapped;
    }

    /// <summary>Map, copy out, queue the unmap; then serve a pending flush request.</summary>
    public GrantStatus Read(uint reference, int offset, Span<byte> destination)
    {
        if (!PageRange.Fits(offset, destination.Length))
        {
            return GrantStatus.BadCopyArg;
        }

        GrantStatus status = Map(reference, writable: false, out GrantHandle handle);
        if (status == GrantStatus.Okay)
        {
            GetReadOnlySpan(handle).Slice(offset, destination.Length).CopyTo(destination);
            Release(handle);
        }

        ServiceFlush();
        return status;
    }

    /// <summary>Map writable, copy in, queue the unmap; then serve a pending flush request.</summary>
    public GrantStatus Write(uint reference, int offset, ReadOnlySpan<byte> source)
    {
        if (!PageRange.Fits(offset, source.Length))
        {
            return GrantStatus.BadCopyArg;
        }

        GrantStatus status = Map(reference, writable: true, out GrantHandle handle);
        if (status == GrantStatus.Okay)
        {
            source.CopyTo(GetSpan(handle).Slice(offset));
            Release(handle);
        }

        ServiceFlush();
        return status;
    }

    /// <inheritdoc/>
    /// <remarks>Maps the page; <see cref="Release(ref GrantLease)"/> queues its unmap for the front's next flush.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public GrantStatus Acquire(uint reference, int offset, int length, bool writable, out GrantLease lease)
    {
        lease = default;
        if (!PageRange.Fits(offset, length))
        {
            return GrantStatus.BadCopyArg;
        }

        GrantStatus status = Map(reference, writable, out GrantHandle handle);
        if (status == GrantStatus.Okay)
        {
            lease = new GrantLease { Address = _track.Address(handle, out _) + offset, Length = length, Handle = handle.Value, Reference = reference, Offset = (ushort)offset, Writable = writable };
        }

        return status;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public GrantStatus Release(ref GrantLease lease)
    {
        if (!lease.IsHeld)
        {
            return GrantStatus.BadHandle;
        }

        Release(new GrantHandle(lease.Handle));
        lease = default;
        return GrantStatus.Okay;
    }

    /// <summary>Whether the front asked for a flush that has not been served yet (a cheap acquire load for service loops).</summary>
    public bool IsFlushRequested => MemoryOrder.ReadAcquire(_requested) != Volatile.Read(ref _lastCompleted);

    /// <summary>Unmaps everything, queued or not, and closes the flush page.</summary>
    public void Dispose()
    {
        _ = UnmapQueued();
        _track.UnmapAll();
        _domain.Files.Remove(_flushGuard);
        _flushPage.Dispose();
    }

    private int UnmapQueued()
    {
        int slot = Interlocked.Exchange(ref _queueHead, EmptyQueue);
        int unmapped = 0;
        while (slot != EmptyQueue)
        {
            int next = _queuedNext[slot];
            if (_track.Unmap(new GrantHandle(slot)) == GrantStatus.Okay)
            {
                unmapped++;
            }

            slot = next;
        }

        FlushCount++;
        Interlocked.Increment(ref _counters.Flushes);
        return unmapped;
    }
}
