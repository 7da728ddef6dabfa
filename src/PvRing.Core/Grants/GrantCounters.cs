// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>
/// One grant domain's counters, read by the "PvRing.Grants" meter (<see cref="GrantMetrics"/>) when a listener collects.
/// </summary>
/// <remarks>
/// Design: a domain is shared by every queue of a device (each ring's service loop grants, maps or copies through it on
/// its own thread), so the counters are added with <see cref="Interlocked"/>: one locked add on a line of this object,
/// beside the compare-and-swap every grant, pin and copy already makes on the grant entry. Maps, unmaps and flushes go
/// with an mmap or munmap system call, which costs far more than the add.
/// </remarks>
internal sealed class GrantCounters
{
    /// <summary>References granted (granter side; re-grants of a kept reference included).</summary>
    public long Issued;

    /// <summary>References whose access was ended (granter side).</summary>
    public long Ended;

    /// <summary>Grants mapped into this process (grantee side: one mmap each).</summary>
    public long Maps;

    /// <summary>Mappings unmapped (grantee side).</summary>
    public long Unmaps;

    /// <summary>Grant copies (<c>GNTTABOP_copy</c>-style, the copy scheme; grantee side).</summary>
    public long Copies;

    /// <summary>Bytes those copies moved.</summary>
    public long CopiedBytes;

    /// <summary>Deferred-unmap flushes performed (grantee side).</summary>
    public long Flushes;

    public void OnCopy(int bytes)
    {
        Interlocked.Increment(ref Copies);
        Interlocked.Add(ref CopiedBytes, bytes);
    }
}
