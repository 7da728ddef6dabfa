// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>
/// A back end's way to the front end's granted pages: one of the five <see cref="GrantScheme"/>s, picked per
/// connection. Every method validates what the peer supplied and returns a <see cref="GrantStatus"/> rather
/// than throwing, as Xen's grant operations do; <see cref="GrantStatusExtensions.ThrowIfFailed"/> turns a
/// failure into a <see cref="PvRingProtocolException"/>.
/// </summary>
public interface IGrantMapper : IDisposable
{
    /// <summary>The scheme this mapper implements.</summary>
    GrantScheme Scheme { get; }

    /// <summary>
    /// Copies <paramref name="destination"/>.Length bytes from byte <paramref name="offset"/> of the page that
    /// <paramref name="reference"/> names (a grant reference; a frame number for <see cref="GrantScheme.DirectMap"/>).
    /// The range must lie within one 4 KiB page (<see cref="GrantStatus.BadCopyArg"/> otherwise).
    /// </summary>
    GrantStatus Read(uint reference, int offset, Span<byte> destination);

    /// <summary>
    /// Copies <paramref name="source"/> to byte <paramref name="offset"/> of the page <paramref name="reference"/>
    /// names; a read-only grant gives <see cref="GrantStatus.PermissionDenied"/>.
    /// </summary>
    GrantStatus Write(uint reference, int offset, ReadOnlySpan<byte> source);

    /// <summary>
    /// Acquires <paramref name="length"/> bytes from byte <paramref name="offset"/> of the page <paramref name="reference"/>
    /// names as a <see cref="GrantLease"/>: the page itself where the scheme maps it, a pooled bounce buffer holding a
    /// copy where it copies (for a writable lease the copy back happens on <see cref="Release(ref GrantLease)"/>).
    /// The range must lie within one 4 KiB page.
    /// </summary>
    /// <returns><see cref="GrantStatus.Okay"/> with <paramref name="lease"/> held, else why not (nothing is held then).</returns>
    GrantStatus Acquire(uint reference, int offset, int length, bool writable, out GrantLease lease);

    /// <summary>
    /// Releases a lease this mapper acquired: unmaps (map), queues the unmap (deferred unmap), keeps the mapping
    /// (persistent, direct map) or copies a writable bounce buffer back to the granted page (copy) and returns the buffer.
    /// The lease is cleared. Returns the status of the copy back (always <see cref="GrantStatus.Okay"/> otherwise).
    /// </summary>
    GrantStatus Release(ref GrantLease lease);
}
