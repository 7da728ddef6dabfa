// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Memory;

/// <summary>
/// A reference on a mapping's handle that keeps its pages mapped. Disposing it twice releases once.
/// </summary>
internal sealed class MappingLease : IDisposable
{
    private SafeHandle? _handle;

    internal MappingLease(SafeHandle handle) => _handle = handle;

    /// <summary>Releases the reference; the pages are unmapped when the last reference goes.</summary>
    public void Dispose() => Interlocked.Exchange(ref _handle, null)?.DangerousRelease();
}
