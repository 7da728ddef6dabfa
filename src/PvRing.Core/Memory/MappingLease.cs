// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Memory;

/// <summary>
/// A reference on a mapping's handle that keeps its pages mapped. Disposing it twice releases once.
/// </summary>
internal sealed class MappingLease : IDisposable
{
    private SafeHandle? _handle;

    private MappingLease(SafeHandle handle) => _handle = handle;

    /// <summary>Adds a reference to <paramref name="handle"/> and returns the lease that releases it.</summary>
    /// <exception cref="ObjectDisposedException">The handle was already released.</exception>
    public static MappingLease Acquire(SafeHandle handle)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        return new MappingLease(handle);
    }

    /// <summary>Releases the reference; the pages are unmapped when the last reference goes.</summary>
    public void Dispose() => Interlocked.Exchange(ref _handle, null)?.DangerousRelease();
}
