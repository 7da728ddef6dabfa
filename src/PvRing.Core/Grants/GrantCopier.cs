// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PvRing.Memory;

namespace PvRing.Grants;

/// <summary>
/// Xen's default, <c>GNTTABOP_copy</c>: validate and pin the entry for the length of one copy within one page,
/// then unpin. No mapping survives a call, so there is nothing to unmap and no TLB flush.
/// </summary>
/// <remarks>
/// Thread-safe: any number of threads may copy through one copier at once. Leases
/// (<see cref="Acquire(uint, int, int, bool, out GrantLease)"/>) are pages of a pinned bounce pool allocated once,
/// handed out through a lock-free free list, so the data path allocates nothing.
/// </remarks>
public sealed unsafe class GrantCopier : IGrantMapper
{
    /// <summary>Bounce pages a copier holds by default: room for two 18-slot packets in flight per direction.</summary>
    public const int DefaultBouncePages = 72;

    private readonly ForeignDomain _domain;
    private readonly GrantCounters _counters;
    private readonly byte[] _bounce;
    private readonly byte* _bounceBase;
    private readonly IndexFreeList _freeBounce;

    /// <summary>Creates a copier over <paramref name="domain"/>'s grants with <paramref name="bouncePages"/> pages for leases.</summary>
    /// <param name="domain">The granter's memory.</param>
    /// <param name="bouncePages">Bounce pages for leases.</param>
    /// <param name="counters">The user's own counters (a queue's) to count the copies in; null: the domain's.</param>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bouncePages"/> is not 1 to 65536.</exception>
    /// <exception cref="ArgumentException"><paramref name="counters"/> belong to another domain.</exception>
    public GrantCopier(ForeignDomain domain, int bouncePages = DefaultBouncePages, GrantUserCounters? counters = null)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentOutOfRangeException.ThrowIfLessThan(bouncePages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bouncePages, 65536);
        _domain = domain;
        _counters = GrantUserCounters.Select(counters, domain, domain.Counters);
        // Pinned for the copier's lifetime (the POH), so a lease's pointer stays valid without a fixed block.
        _bounce = GC.AllocateUninitializedArray<byte>(bouncePages * XenPage.Size, pinned: true);
        _bounceBase = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_bounce));
        _freeBounce = new IndexFreeList(bouncePages);
        for (int page = bouncePages - 1; page >= 0; page--)
        {
            _freeBounce.Push(page);
        }
    }

    /// <inheritdoc/>
    public GrantScheme Scheme => GrantScheme.Copy;

    /// <inheritdoc/>
    public GrantStatus Read(uint reference, int offset, Span<byte> destination)
    {
        if (!PageRange.Fits(offset, destination.Length))
        {
            return GrantStatus.BadCopyArg;
        }

        GrantStatus status = _domain.Pin(reference, writable: false, out uint frame);
        if (status != GrantStatus.Okay)
        {
            return status;
        }

        new ReadOnlySpan<byte>(_domain.FramePointer(frame, offset), destination.Length).CopyTo(destination);
        _domain.Unpin(reference, writable: false);
        _counters.OnCopy(destination.Length);
        return GrantStatus.Okay;
    }

    /// <inheritdoc/>
    public GrantStatus Write(uint reference, int offset, ReadOnlySpan<byte> source)
    {
        if (!PageRange.Fits(offset, source.Length))
        {
            return GrantStatus.BadCopyArg;
        }

        GrantStatus status = _domain.Pin(reference, writable: true, out uint frame);
        if (status != GrantStatus.Okay)
        {
            return status;
        }

        source.CopyTo(new Span<byte>(_domain.FramePointer(frame, offset), XenPage.Size - offset));
        _domain.Unpin(reference, writable: true);
        _counters.OnCopy(source.Length);
        return GrantStatus.Okay;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A read lease copies the range into a bounce page now (pin, copy, unpin); a writable lease hands out the bounce
    /// page and copies it to the granted page on release. <see cref="GrantStatus.NoSpace"/> when every bounce page is out.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public GrantStatus Acquire(uint reference, int offset, int length, bool writable, out GrantLease lease)
    {
        lease = default;
        if (!PageRange.Fits(offset, length))
        {
            return GrantStatus.BadCopyArg;
        }

        if (!_freeBounce.TryPop(out int page))
        {
            return GrantStatus.NoSpace;
        }

        byte* bounce = _bounceBase + ((long)page << XenPage.Shift);
        if (!writable)
        {
            GrantStatus status = Read(reference, offset, new Span<byte>(bounce, length));
            if (status != GrantStatus.Okay)
            {
                _freeBounce.Push(page);
                return status;
            }
        }

        lease = new GrantLease { Address = bounce, Length = length, Handle = page, Reference = reference, Offset = (ushort)offset, Writable = writable };
        return GrantStatus.Okay;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public GrantStatus Release(ref GrantLease lease)
    {
        if (!lease.IsHeld)
        {
            return GrantStatus.BadHandle;
        }

        GrantStatus status = lease.Writable ? Write(lease.Reference, lease.Offset, lease.Span) : GrantStatus.Okay;
        _freeBounce.Push(lease.Handle);
        lease = default;
        return status;
    }

    /// <summary>Nothing to release: a copier holds no mapping (its bounce pool goes with it).</summary>
    public void Dispose()
    {
    }
}
