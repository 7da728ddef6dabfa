// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Memory;

/// <summary>
/// A reference on a mapping's handle that keeps its pages mapped. Disposing it twice releases once.
/// </summary>
internal sealed class MappingLease : IDisposable
{
    private SafeHandle? _handle;
    private readonly TruncationGuardSet? _shared;
    private TruncationGuard? _guard;

    private MappingLease(SafeHandle handle, TruncationGuard? guard, TruncationGuardSet? shared)
    {
        _handle = handle;
        _guard = guard;
        _shared = shared;
    }

    /// <summary>
    /// Adds a reference to <paramref name="handle"/> and returns the lease that releases it; the lease owns
    /// <paramref name="guard"/> (a named file's size check, see <see cref="TruncationGuard"/>), if any, and checks
    /// <paramref name="shared"/> (the size checks of the files of the domain the mapping belongs to, which it does not own) too.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The handle was already released.</exception>
    public static MappingLease Acquire(SafeHandle handle, TruncationGuard? guard = null, TruncationGuardSet? shared = null)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
        }
        catch
        {
            guard?.Dispose();
            throw;
        }

        return new MappingLease(handle, guard, shared);
    }

    /// <summary>
    /// Throws a <see cref="PvRingException"/> if the mapped file was truncated; for slow paths (after a sleep).
    /// Sealed memory and anonymous mappings have nothing to check.
    /// </summary>
    public void CheckIntact()
    {
        Volatile.Read(ref _guard)?.Check();
        _shared?.Check();
    }

    /// <summary>Releases the reference; the pages are unmapped when the last reference goes.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _guard, null)?.Dispose();
        Interlocked.Exchange(ref _handle, null)?.DangerousRelease();
    }
}
