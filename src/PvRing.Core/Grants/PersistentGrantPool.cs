// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>
/// The front's side of <c>feature-persistent</c>: a fixed pool of arena frames granted read-write to the back
/// once, rented and returned in LIFO order (blkfront's persistent list) so a small working set stays hot. The
/// front copies data into a rented page, sends its reference, and returns it when the response arrives.
/// </summary>
/// <remarks>Rent and return are lock-free and allocation-free, from any thread.</remarks>
public sealed class PersistentGrantPool : IDisposable
{
    private readonly GrantDomain _domain;
    private readonly uint[] _references;
    private readonly uint[] _frames;
    private readonly IndexFreeList _free;

    /// <summary>
    /// Grants frames <paramref name="firstFrame"/> to <paramref name="firstFrame"/> + <paramref name="pageCount"/> - 1
    /// of <paramref name="domain"/>'s arena, writable, to <paramref name="backend"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The frames are not all inside the arena, or the count is not positive.
    /// Or <paramref name="backend"/> is not a domain id (0 to 32751).</exception>
    /// <exception cref="InvalidOperationException">The grant table has too few free references.</exception>
    public PersistentGrantPool(GrantDomain domain, int backend, uint firstFrame, int pageCount)
    {
        DomainIds.Check(backend);
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageCount, 1);
        if ((ulong)firstFrame + (ulong)pageCount > domain.FrameCount)
        {
            throw new ArgumentOutOfRangeException(nameof(pageCount), pageCount,
                $"Frames {firstFrame} to {firstFrame + (ulong)pageCount - 1} do not fit in the arena of {domain.FrameCount} frames.");
        }

        _domain = domain;
        _references = new uint[pageCount];
        _frames = new uint[pageCount];
        _free = new IndexFreeList(pageCount);
        for (int slot = pageCount - 1; slot >= 0; slot--)
        {
            _frames[slot] = firstFrame + (uint)slot;
            _references[slot] = domain.GrantAccess(backend, _frames[slot], readOnly: false);
            _free.Push(slot);
        }
    }

    /// <summary>Pages in the pool.</summary>
    public int Count => _references.Length;

    /// <summary>Takes the most recently returned page; false when every page is out.</summary>
    public bool TryRent(out PooledGrant grant)
    {
        if (!_free.TryPop(out int slot))
        {
            grant = default;
            return false;
        }

        grant = new PooledGrant(_references[slot], slot);
        return true;
    }

    /// <summary>The rented page's 4096 bytes in the front's arena.</summary>
    public Span<byte> GetPage(PooledGrant grant) => _domain.GetFrame(_frames[grant.Slot]);

    /// <summary>Gives a page back once the back has answered the request that used it.</summary>
    public void Return(PooledGrant grant) => _free.Push(grant.Slot);

    /// <summary>
    /// Ends access to every page of the pool; returns false if the back still has some mapped (it must unmap them
    /// on disconnect first), in which case those grants stay.
    /// </summary>
    public bool TryEndAccessAll()
    {
        bool all = true;
        for (int slot = 0; slot < _references.Length; slot++)
        {
            if (_references[slot] != 0)
            {
                if (_domain.TryEndAccess(_references[slot]))
                {
                    _references[slot] = 0;
                }
                else
                {
                    all = false;
                }
            }
        }

        return all;
    }

    /// <summary>Ends access to every page the back no longer maps (see <see cref="TryEndAccessAll"/>).</summary>
    public void Dispose() => TryEndAccessAll();
}
