// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using PvRing.Memory;
using PvRing.Platform;

namespace PvRing.Grants;

/// <summary>
/// Hackathon item J (<c>feature-direct-map</c>): map the front's whole arena once; requests then carry frame
/// numbers instead of grant references, and each access costs a bounds check and a copy. The grant table is
/// not consulted, so the front is not protected from the back (the minutes say so); the back is still
/// protected from the front: every frame and range is validated.
/// </summary>
/// <remarks>Thread-safe; nothing is mapped or unmapped after construction.</remarks>
public sealed unsafe class DirectMapper : IGrantMapper
{
    private readonly IPageMapper _mapper;
    private readonly nuint _length;
    private byte* _base;

    /// <summary>Maps <paramref name="domain"/>'s whole arena, read-write.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is null.</exception>
    /// <exception cref="PvRingException">The operating system refused the mapping.</exception>
    public DirectMapper(ForeignDomain domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        _mapper = PageMappers.Default;
        FrameCount = domain.FrameCount;
        _length = (nuint)FrameCount << XenPage.Shift;
        _base = _mapper.Map(domain.ArenaFileDescriptor, 0, _length, writable: true, out int errorNumber);
        if (_base is null)
        {
            GrantThrowHelper.ThrowMmap(errorNumber, 0);
        }
    }

    /// <inheritdoc/>
    public GrantScheme Scheme => GrantScheme.DirectMap;

    /// <summary>Frames in the mapped arena; a request's frame must be below this.</summary>
    public uint FrameCount { get; }

    /// <summary>The 4096 bytes of <paramref name="frame"/>; <see cref="GrantStatus.BadPage"/> if it is outside the arena.</summary>
    public GrantStatus GetPage(uint frame, out Span<byte> page)
    {
        if (frame >= FrameCount)
        {
            page = default;
            return GrantStatus.BadPage;
        }

        ObjectDisposedException.ThrowIf(_base is null, this);
        page = new Span<byte>(_base + ((long)frame << XenPage.Shift), XenPage.Size);
        return GrantStatus.Okay;
    }

    /// <summary>Copies from <paramref name="frame"/> (a frame number, not a grant reference).</summary>
    public GrantStatus Read(uint frame, int offset, Span<byte> destination)
    {
        if (!PageRange.Fits(offset, destination.Length))
        {
            return GrantStatus.BadCopyArg;
        }

        GrantStatus status = GetPage(frame, out Span<byte> page);
        if (status == GrantStatus.Okay)
        {
            page.Slice(offset, destination.Length).CopyTo(destination);
        }

        return status;
    }

    /// <summary>Copies to <paramref name="frame"/> (a frame number, not a grant reference).</summary>
    public GrantStatus Write(uint frame, int offset, ReadOnlySpan<byte> source)
    {
        if (!PageRange.Fits(offset, source.Length))
        {
            return GrantStatus.BadCopyArg;
        }

        GrantStatus status = GetPage(frame, out Span<byte> page);
        if (status == GrantStatus.Okay)
        {
            source.CopyTo(page.Slice(offset));
        }

        return status;
    }

    /// <inheritdoc/>
    /// <remarks><paramref name="reference"/> is a frame number; the lease points into the arena mapped once.</remarks>
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
            lease = new GrantLease { Address = _base + ((long)reference << XenPage.Shift) + offset, Length = length, Reference = reference, Offset = (ushort)offset, Writable = writable };
        }

        return status;
    }

    /// <inheritdoc/>
    /// <remarks>Nothing to undo: the whole arena stays mapped.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public GrantStatus Release(ref GrantLease lease)
    {
        GrantStatus status = lease.IsHeld ? GrantStatus.Okay : GrantStatus.BadHandle;
        lease = default;
        return status;
    }

    /// <summary>Unmaps the arena.</summary>
    public void Dispose()
    {
        byte* address = _base;
        _base = null;
        if (address is not null)
        {
            _mapper.Unmap(address, _length);
        }
    }
}
