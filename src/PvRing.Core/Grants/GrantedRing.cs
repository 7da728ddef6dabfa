// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.ObjectModel;
using System.Runtime.CompilerServices;
using PvRing.Memory;
using PvRing.Rings;

namespace PvRing.Grants;

/// <summary>
/// The front end's half of a multi-page ring (hackathon item A, Linux's <c>xenbus_grant_ring</c>): 2^order
/// consecutive frames of the front's arena, each granted read-write to the back end, so that the back can map them
/// (<see cref="ForeignRing"/>) and both share one ring. The references go to the store as <c>ring-ref</c> (one page) or
/// <c>ring-ref0</c>..<c>ring-ref{N-1}</c> (<see cref="Bus.XenBusRingKeys"/>).
/// </summary>
/// <remarks>
/// Disposing ends access to every page the back no longer maps. A page the back still maps stays granted (as Linux's
/// deferred <c>gnttab_end_foreign_access</c>): reusing it would let the back write into whatever the front put there
/// next. <see cref="TryEndAccess"/> says whether every grant is gone.
/// </remarks>
public sealed class GrantedRing : IDisposable
{
    private readonly GrantDomain _domain;
    private readonly uint[] _references;
    private readonly bool[] _ended;

    private GrantedRing(GrantDomain domain, int backendDomainId, uint firstFrame, int order, uint[] references)
    {
        _domain = domain;
        BackendDomainId = backendDomainId;
        FirstFrame = firstFrame;
        Order = order;
        _references = references;
        _ended = new bool[references.Length];
        References = new ReadOnlyCollection<uint>(references);
    }

    /// <summary>The domain the pages are granted to.</summary>
    public int BackendDomainId { get; }

    /// <summary>The first of the ring's 2^<see cref="Order"/> consecutive frames in the front's arena.</summary>
    public uint FirstFrame { get; }

    /// <summary>The ring spans 2^<see cref="Order"/> pages.</summary>
    public int Order { get; }

    /// <summary>One grant reference per page, in page order: what the front writes as <c>ring-ref%u</c>.</summary>
    public IReadOnlyList<uint> References { get; }

    /// <summary>
    /// Grants frames <paramref name="firstFrame"/>..<paramref name="firstFrame"/>+2^<paramref name="order"/>-1 of
    /// <paramref name="domain"/>'s arena read-write to <paramref name="backendDomainId"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The order is outside 0..<see cref="SharedRingLayout.MaxOrder"/> or the frames leave the arena.
    /// Or <paramref name="backendDomainId"/> is not a domain id (0 to 32751).</exception>
    /// <exception cref="InvalidOperationException">The grant table has no free reference left (nothing stays granted).</exception>
    public static GrantedRing Grant(GrantDomain domain, int backendDomainId, uint firstFrame, int order)
    {
        DomainIds.Check(backendDomainId);
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentOutOfRangeException.ThrowIfNegative(order);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(order, SharedRingLayout.MaxOrder);
        long pages = 1L << order;
        if (firstFrame + pages > domain.FrameCount)
        {
            throw new ArgumentOutOfRangeException(nameof(firstFrame), firstFrame, $"A ring of {pages} pages from frame {firstFrame} leaves the arena of {domain.FrameCount} frames.");
        }

        var references = new uint[pages];
        int granted = 0;
        try
        {
            for (; granted < references.Length; granted++)
            {
                references[granted] = domain.GrantAccess(backendDomainId, firstFrame + (uint)granted, readOnly: false);
            }
        }
        catch
        {
            // Nobody has seen these references yet: ending access cannot fail.
            for (int i = 0; i < granted; i++)
            {
                _ = domain.TryEndAccess(references[i]);
            }

            throw;
        }

        return new GrantedRing(domain, backendDomainId, firstFrame, order, references);
    }

    /// <summary>
    /// Initialises a ring of <paramref name="variant"/>'s layout over the granted pages (<c>SHARED_RING_INIT</c> +
    /// <c>FRONT_RING_INIT</c>) and returns its front end; it keeps the arena mapped until disposed.
    /// </summary>
    /// <exception cref="ArgumentException">The variant's order is not this ring's order.</exception>
    public FrontRing<TRequest, TResponse> Initialize<TRequest, TResponse>(RingVariant variant)
        where TRequest : unmanaged
        where TResponse : unmanaged
    {
        if (variant.Order != Order)
        {
            throw new ArgumentException($"The ring was granted with order {Order}, the variant has order {variant.Order}.", nameof(variant));
        }

        SharedMemoryFile arena = _domain.Arena;
        var view = new SharedRingView(arena, (long)FirstFrame << XenPage.Shift, RingVariantLayout.Geometry<TRequest, TResponse>(variant), Unsafe.SizeOf<TRequest>(), Unsafe.SizeOf<TResponse>());
        return new FrontRing<TRequest, TResponse>(view, arena.Lease(_domain.Files), initialize: true, startIndex: 0);
    }

    /// <summary>
    /// Ends access to every page the back end no longer maps; true when no page of the ring is granted any more.
    /// Call it again after the back end has unmapped.
    /// </summary>
    public bool TryEndAccess()
    {
        bool all = true;
        for (int i = 0; i < _references.Length; i++)
        {
            if (!_ended[i])
            {
                _ended[i] = _domain.TryEndAccess(_references[i]);
                all &= _ended[i];
            }
        }

        return all;
    }

    /// <summary>
    /// Gives the ring's grants up: each page the back end no longer maps is ended now, the others as soon as it unmaps
    /// them (<see cref="GrantDomain.EndAccessWhenUnmapped"/>), so no reference is lost to a back end that closes late.
    /// </summary>
    public void Dispose()
    {
        for (int i = 0; i < _references.Length; i++)
        {
            if (!_ended[i])
            {
                _domain.EndAccessWhenUnmapped(_references[i]);
                _ended[i] = true;
            }
        }
    }
}
