// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Memory;

namespace PvRing.Grants;

/// <summary>
/// Xen's default, <c>GNTTABOP_copy</c>: validate and pin the entry for the length of one copy within one page,
/// then unpin. No mapping survives a call, so there is nothing to unmap and no TLB flush.
/// </summary>
/// <remarks>Thread-safe: any number of threads may copy through one copier at once.</remarks>
public sealed unsafe class GrantCopier : IGrantMapper
{
    private readonly ForeignDomain _domain;

    /// <summary>Creates a copier over <paramref name="domain"/>'s grants.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is null.</exception>
    public GrantCopier(ForeignDomain domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        _domain = domain;
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
        return GrantStatus.Okay;
    }

    /// <summary>Nothing to release: a copier holds no mapping.</summary>
    public void Dispose()
    {
    }
}
