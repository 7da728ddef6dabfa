// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Memory;

namespace PvRing.Grants;

/// <summary>
/// Hackathon item F (<c>feature-grant-map</c>): map the granted page itself, a real <c>mmap</c> of exactly that
/// frame of the granter's arena file, and <c>munmap</c> it on release; single and batch operations, as
/// <c>GNTTABOP_map_grant_ref</c> / <c>unmap_grant_ref</c>.
/// </summary>
/// <remarks>
/// Zero copy, but each unmap is a system call with a TLB shootdown on every CPU running this process, the cost
/// that persistent grants and deferred unmaps avoid. Thread-safe. A span from <see cref="GetSpan"/> is valid
/// only until its handle is unmapped: touching it afterwards faults, as a stale mapping would in Xen.
/// </remarks>
public sealed unsafe class GrantMapper : IGrantMapper
{
    private readonly MapTrack _track;

    /// <summary>Creates a mapper over <paramref name="domain"/>'s grants with room for <paramref name="maxMappings"/> live mappings.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is null.</exception>
    /// <param name="domain">The granter's memory.</param>
    /// <param name="maxMappings">The most pages mapped at once.</param>
    /// <param name="counters">The user's own counters (a queue's) to count the maps and unmaps in; null: the domain's.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxMappings"/> is not 1 to 65536.</exception>
    /// <exception cref="ArgumentException"><paramref name="counters"/> belong to another domain.</exception>
    public GrantMapper(ForeignDomain domain, int maxMappings = 1024, GrantUserCounters? counters = null)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMappings, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMappings, 65536);
        _track = new MapTrack(domain, maxMappings, GrantUserCounters.Select(counters, domain, domain.Counters));
    }

    /// <inheritdoc/>
    public GrantScheme Scheme => GrantScheme.Map;

    /// <summary>Validates, pins and maps <paramref name="reference"/>; on success <paramref name="handle"/> names the mapping.</summary>
    public GrantStatus Map(uint reference, bool writable, out GrantHandle handle) => _track.Map(reference, writable, out handle);

    /// <summary>Unmaps and unpins; <see cref="GrantStatus.BadHandle"/> for a handle that is not live.</summary>
    public GrantStatus Unmap(GrantHandle handle) => _track.Unmap(handle);

    /// <summary>
    /// Maps every reference of <paramref name="references"/>; each gets its own status and handle (a default
    /// handle where the status is not <see cref="GrantStatus.Okay"/>). Returns how many succeeded.
    /// </summary>
    /// <exception cref="ArgumentException">The handle or status span is shorter than <paramref name="references"/>.</exception>
    public int MapBatch(ReadOnlySpan<uint> references, bool writable, Span<GrantHandle> handles, Span<GrantStatus> statuses)
    {
        if (handles.Length < references.Length || statuses.Length < references.Length)
        {
            throw new ArgumentException($"Need room for {references.Length} handles and statuses: handles={handles.Length}, statuses={statuses.Length}.");
        }

        int mapped = 0;
        for (int i = 0; i < references.Length; i++)
        {
            statuses[i] = _track.Map(references[i], writable, out handles[i]);
            mapped += statuses[i] == GrantStatus.Okay ? 1 : 0;
        }

        return mapped;
    }

    /// <summary>Unmaps every live handle of <paramref name="handles"/> (default handles are skipped); returns how many were unmapped.</summary>
    public int UnmapBatch(ReadOnlySpan<GrantHandle> handles)
    {
        int unmapped = 0;
        foreach (GrantHandle handle in handles)
        {
            if (handle.Value != 0 && _track.Unmap(handle) == GrantStatus.Okay)
            {
                unmapped++;
            }
        }

        return unmapped;
    }

    /// <summary>The mapped page, writable; valid until the handle is unmapped.</summary>
    /// <exception cref="ArgumentException">The handle is not live.</exception>
    /// <exception cref="InvalidOperationException">The mapping is read-only.</exception>
    public Span<byte> GetSpan(GrantHandle handle)
    {
        byte* address = _track.Address(handle, out bool writable);
        if (!writable)
        {
            GrantThrowHelper.ThrowReadOnlyMapping(handle.Value);
        }

        return new Span<byte>(address, XenPage.Size);
    }

    /// <summary>The mapped page, read-only; valid until the handle is unmapped.</summary>
    /// <exception cref="ArgumentException">The handle is not live.</exception>
    public ReadOnlySpan<byte> GetReadOnlySpan(GrantHandle handle) => new(_track.Address(handle, out _), XenPage.Size);

    /// <summary>Map, copy out, unmap: the per-request cost of the map scheme.</summary>
    public GrantStatus Read(uint reference, int offset, Span<byte> destination)
    {
        if (!PageRange.Fits(offset, destination.Length))
        {
            return GrantStatus.BadCopyArg;
        }

        GrantStatus status = _track.Map(reference, writable: false, out GrantHandle handle);
        if (status == GrantStatus.Okay)
        {
            new ReadOnlySpan<byte>(_track.Address(handle, out _) + offset, destination.Length).CopyTo(destination);
            _track.Unmap(handle);
        }

        return status;
    }

    /// <summary>Map writable, copy in, unmap.</summary>
    public GrantStatus Write(uint reference, int offset, ReadOnlySpan<byte> source)
    {
        if (!PageRange.Fits(offset, source.Length))
        {
            return GrantStatus.BadCopyArg;
        }

        GrantStatus status = _track.Map(reference, writable: true, out GrantHandle handle);
        if (status == GrantStatus.Okay)
        {
            source.CopyTo(new Span<byte>(_track.Address(handle, out _) + offset, XenPage.Size - offset));
            _track.Unmap(handle);
        }

        return status;
    }

    /// <inheritdoc/>
    /// <remarks>Maps the page (a real <c>mmap</c>); <see cref="Release(ref GrantLease)"/> unmaps it.</remarks>
    public GrantStatus Acquire(uint reference, int offset, int length, bool writable, out GrantLease lease)
    {
        lease = default;
        if (!PageRange.Fits(offset, length))
        {
            return GrantStatus.BadCopyArg;
        }

        GrantStatus status = _track.Map(reference, writable, out GrantHandle handle);
        if (status == GrantStatus.Okay)
        {
            lease = new GrantLease { Address = _track.Address(handle, out _) + offset, Length = length, Handle = handle.Value, Reference = reference, Offset = (ushort)offset, Writable = writable };
        }

        return status;
    }

    /// <inheritdoc/>
    public GrantStatus Release(ref GrantLease lease)
    {
        GrantStatus status = lease.IsHeld ? _track.Unmap(new GrantHandle(lease.Handle)) : GrantStatus.BadHandle;
        lease = default;
        return status;
    }

    /// <summary>Unmaps every mapping still live.</summary>
    public void Dispose() => _track.UnmapAll();
}
