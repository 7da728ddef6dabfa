// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Memory;
using PvRing.Platform;

namespace PvRing.Grants;

/// <summary>
/// The front's side of <c>feature-deferred-unmap</c>: it owns the flush page, asks the back to perform its
/// queued unmaps (<see cref="RequestFlush"/>), and learns when a flush has completed. A page whose request was
/// answered may be reused only after a flush requested after that answer has completed; until then
/// <see cref="GrantDomain.TryEndAccess(uint, GrantUserCounters?)"/> on it fails, because the back still has it mapped.
/// </summary>
public sealed unsafe class DeferredUnmapFrontend : IDisposable
{
    private readonly HostDirectory _host;
    private readonly string _name;
    private readonly SharedMemoryFile _page;
    private readonly TruncationGuard? _guard;
    private readonly uint* _requested;
    private readonly uint* _completed;

    private DeferredUnmapFrontend(HostDirectory host, string name, SharedMemoryFile page)
    {
        _host = host;
        _name = name;
        _page = page;
        _guard = page.CreateGuard(host.GetFilePath(name)); // a named page (not sealed memory): its size is checked after sleeps
        _requested = (uint*)(page.Pointer + UnmapFlushLayout.RequestedOffset);
        _completed = (uint*)(page.Pointer + UnmapFlushLayout.CompletedOffset);
    }

    /// <summary>
    /// Creates flush page <paramref name="page"/> shared by front <paramref name="frontDomainId"/> and back
    /// <paramref name="backDomainId"/>: one per queue of a device (0 for the first or only one), each answered by that
    /// queue's <see cref="DeferredUnmapMapper"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="host"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="page"/> is not 0 to 255.
    /// Or <paramref name="frontDomainId"/> or <paramref name="backDomainId"/> is not a domain id (0 to 32751).</exception>
    /// <exception cref="PvRingException">The page exists already.</exception>
    public static DeferredUnmapFrontend Create(HostDirectory host, int frontDomainId, int backDomainId, int page = 0)
    {
        DomainIds.Check(frontDomainId);
        DomainIds.Check(backDomainId);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentOutOfRangeException.ThrowIfNegative(page);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(page, GrantTableLayout.MaxFlushPages);
        string name = GrantTableLayout.FlushFileName(frontDomainId, backDomainId, page);
        SharedMemoryFile file = host.CreateTemporaryFile(name, XenPage.Size, out string temporary);
        try
        {
            *(ushort*)(file.Pointer + UnmapFlushLayout.VersionOffset) = UnmapFlushLayout.Version;
            Volatile.Write(ref *(uint*)(file.Pointer + UnmapFlushLayout.MagicOffset), UnmapFlushLayout.Magic); // the version before the magic
            host.PublishTemporary(temporary, name);
        }
        catch
        {
            file.Dispose();
            throw;
        }

        return new DeferredUnmapFrontend(host, name, file);
    }

    /// <summary>
    /// Removes the flush pages (every queue's) a front <paramref name="frontDomainId"/> left for back
    /// <paramref name="backDomainId"/> when its process died (the toolstack's clean-up). Returns whether there was one.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="host"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="frontDomainId"/> or <paramref name="backDomainId"/> is not a domain id (0 to 32751).</exception>
    public static bool RemoveFile(HostDirectory host, int frontDomainId, int backDomainId)
    {
        DomainIds.Check(frontDomainId);
        DomainIds.Check(backDomainId);
        ArgumentNullException.ThrowIfNull(host);
        bool existed = false;
        for (int page = 0; page < GrantTableLayout.MaxFlushPages; page++)
        {
            string name = GrantTableLayout.FlushFileName(frontDomainId, backDomainId, page);
            if (!host.Exists(name))
            {
                break; // queues are numbered from 0 without gaps
            }

            existed = true;
            host.Delete(name);
        }

        return existed;
    }

    /// <summary>The epoch of the last completed flush.</summary>
    public uint CompletedEpoch => MemoryOrder.ReadAcquire(_completed); // Acquire: pages unmapped by that flush are seen unmapped after.

    /// <summary>Asks the back to flush its queued unmaps; returns the epoch to wait for. Notify the back (its event channel) after.</summary>
    public uint RequestFlush()
    {
        // Interlocked increment (a full fence): every response we consumed is ordered before the request.
        return Interlocked.Increment(ref *_requested);
    }

    /// <summary>Whether the flush of <paramref name="epoch"/> (or a later one) has completed (free-running comparison).</summary>
    public bool IsFlushed(uint epoch) => (int)(CompletedEpoch - epoch) >= 0;

    /// <summary>Waits, at most <paramref name="timeout"/>, for the flush of <paramref name="epoch"/>; returns whether it completed.</summary>
    public bool WaitForFlush(uint epoch, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            uint completed = CompletedEpoch;
            if ((int)(completed - epoch) >= 0)
            {
                return true;
            }

            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return false;
            }

            // Sleeps only while flush_completed still holds the value we just read: no lost wake-up.
            _ = PlatformServices.Futex.Wait(_completed, completed, (int)Math.Min(left, int.MaxValue));
        }
    }

    /// <summary>
    /// Throws a <see cref="PvRingException"/> if a peer truncated the (named) flush page; for slow paths, after a sleep, as
    /// the rings' own check. Sealed memory has nothing to check.
    /// </summary>
    public void CheckIntact() => _guard?.Check();

    /// <summary>Closes and removes the flush page.</summary>
    public void Dispose()
    {
        _guard?.Dispose();
        _page.Dispose();
        _host.Delete(_name);
    }
}
