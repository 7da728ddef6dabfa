// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PvRing.Memory;

namespace PvRing.Grants;

/// <summary>
/// Hackathon item G (<c>feature-persistent</c>), as Linux blkback: map each grant the first time a request
/// names it, writable, and keep the mapping, so later requests with that reference cost a lookup and a copy.
/// The cache is capped (<see cref="PersistentGrantOptions.MaxGrants"/>); when full, the least recently used
/// <see cref="PersistentGrantOptions.PurgePercent"/> are unmapped first.
/// </summary>
/// <remarks>
/// Concurrency: one instance per ring, used by that ring's one worker thread (blkback's per-ring tree). The
/// lookup table is preallocated, so a hit allocates nothing. The front must grant the pool writable and must not
/// end access to it while connected (<see cref="PersistentGrantPool"/> does both).
/// </remarks>
public sealed unsafe class PersistentGrantMapper : IGrantMapper
{
    private readonly MapTrack _track;
    // The cache: the mapping handle of each grant reference (0: not mapped), indexed by reference (a table's entry
    // count is bounded), so a hit is one array load, not a hash lookup.
    private readonly int[] _handleOfReference;
    private int _count;
    private readonly uint[] _referenceOfSlot;
    private readonly long[] _lastUse;
    private readonly int _purgeCount;
    private long _clock;

    /// <summary>Creates a persistent mapper over <paramref name="domain"/>'s grants.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is null.</exception>
    /// <param name="domain">The granter's memory.</param>
    /// <param name="options">The cache's size and purge; null: the defaults.</param>
    /// <param name="counters">The user's own counters (a queue's) to count the maps and unmaps in; null: the domain's.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="counters"/> belong to another domain.</exception>
    public PersistentGrantMapper(ForeignDomain domain, PersistentGrantOptions? options = null, GrantUserCounters? counters = null)
    {
        ArgumentNullException.ThrowIfNull(domain);
        options ??= new PersistentGrantOptions();
        options.Validate();
        _track = new MapTrack(domain, options.MaxGrants, GrantUserCounters.Select(counters, domain, domain.Counters));
        _handleOfReference = new int[domain.EntryCount];
        _referenceOfSlot = new uint[options.MaxGrants];
        _lastUse = new long[options.MaxGrants];
        _purgeCount = Math.Max(1, options.MaxGrants * options.PurgePercent / 100);
    }

    /// <inheritdoc/>
    public GrantScheme Scheme => GrantScheme.Persistent;

    /// <summary>Grants currently kept mapped.</summary>
    public int Count => _count;

    /// <summary>Mappings made since creation (cache misses).</summary>
    public long MapCount { get; private set; }

    /// <summary>Mappings dropped by the LRU purge.</summary>
    public long EvictionCount { get; private set; }

    /// <summary>
    /// The page <paramref name="reference"/> names, mapped now if it is not cached; valid until the mapping is
    /// evicted (a later miss may evict it) or this mapper is disposed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public GrantStatus GetPage(uint reference, out Span<byte> page)
    {
        page = default;
        if (reference >= (uint)_handleOfReference.Length)
        {
            return GrantStatus.BadGntref;
        }

        int handleValue = _handleOfReference[reference];
        if (handleValue == 0)
        {
            GrantStatus status = MapNew(reference, out handleValue);
            if (status != GrantStatus.Okay)
            {
                return status;
            }
        }

        _lastUse[handleValue - 1] = ++_clock;
        page = new Span<byte>(_track.Address(new GrantHandle(handleValue), out _), XenPage.Size);
        return GrantStatus.Okay;
    }

    /// <inheritdoc/>
    public GrantStatus Read(uint reference, int offset, Span<byte> destination)
    {
        if (!PageRange.Fits(offset, destination.Length))
        {
            return GrantStatus.BadCopyArg;
        }

        GrantStatus status = GetPage(reference, out Span<byte> page);
        if (status == GrantStatus.Okay)
        {
            page.Slice(offset, destination.Length).CopyTo(destination);
        }

        return status;
    }

    /// <inheritdoc/>
    public GrantStatus Write(uint reference, int offset, ReadOnlySpan<byte> source)
    {
        if (!PageRange.Fits(offset, source.Length))
        {
            return GrantStatus.BadCopyArg;
        }

        GrantStatus status = GetPage(reference, out Span<byte> page);
        if (status == GrantStatus.Okay)
        {
            source.CopyTo(page.Slice(offset));
        }

        return status;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The cached mapping (mapped now on a miss). A lease stays valid until released only while the cache does not
    /// purge: size <see cref="PersistentGrantOptions.MaxGrants"/> at least as large as the pool the front grants.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public GrantStatus Acquire(uint reference, int offset, int length, bool writable, out GrantLease lease)
    {
        lease = default;
        if (!PageRange.Fits(offset, length))
        {
            return GrantStatus.BadCopyArg;
        }

        GrantStatus status = GetPage(reference, out Span<byte> page);
        if (status == GrantStatus.Okay)
        {
            lease = new GrantLease { Address = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(page)) + offset, Length = length, Reference = reference, Offset = (ushort)offset, Writable = writable };
        }

        return status;
    }

    /// <inheritdoc/>
    /// <remarks>The mapping stays: that is the scheme.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public GrantStatus Release(ref GrantLease lease)
    {
        GrantStatus status = lease.IsHeld ? GrantStatus.Okay : GrantStatus.BadHandle;
        lease = default;
        return status;
    }

    /// <summary>Unmaps every cached grant (the connection is closing), so the front can end access to its pool.</summary>
    public void Dispose()
    {
        _track.UnmapAll();
        Array.Clear(_handleOfReference);
        _count = 0;
    }

    private GrantStatus MapNew(uint reference, out int handleValue)
    {
        handleValue = 0;
        if (_count == _track.Capacity)
        {
            Purge();
        }

        GrantStatus status = _track.Map(reference, writable: true, out GrantHandle handle);
        if (status != GrantStatus.Okay)
        {
            return status;
        }

        handleValue = handle.Value;
        _referenceOfSlot[handleValue - 1] = reference;
        _handleOfReference[reference] = handleValue;
        _count++;
        MapCount++;
        return GrantStatus.Okay;
    }

    private void Purge()
    {
        // Rare (only when the cache is full): repeated scans for the oldest keep it allocation-free.
        for (int n = 0; n < _purgeCount && _count > 0; n++)
        {
            int oldest = -1;
            long oldestUse = long.MaxValue;
            for (int slot = 0; slot < _referenceOfSlot.Length; slot++)
            {
                // A slot is live when its reference still points back at it.
                if (_handleOfReference[_referenceOfSlot[slot]] == slot + 1 && _lastUse[slot] < oldestUse)
                {
                    oldestUse = _lastUse[slot];
                    oldest = slot + 1;
                }
            }

            _handleOfReference[_referenceOfSlot[oldest - 1]] = 0;
            _count--;
            _track.Unmap(new GrantHandle(oldest));
            EvictionCount++;
        }
    }
}
