// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;
using PvRing.Memory;
using PvRing.Platform;
using PvRing.Rings;

namespace PvRing.Grants;

/// <summary>
/// The back end's half of a multi-page ring (hackathon item A, Linux's <c>xenbus_map_ring_valloc</c>): the pages
/// behind N grant references, mapped read-write into one contiguous range of this process, so a ring of 2^order pages
/// works whatever frames the front granted.
/// </summary>
/// <remarks>
/// Design: the range is reserved first (an inaccessible anonymous mapping), then each page is pinned (the same
/// compare-and-swap validation as <see cref="GrantMapper"/>) and mapped over its place in the range with
/// <c>MAP_FIXED</c>. If any page fails, everything done so far is undone and nothing stays pinned. The pages stay
/// mapped and pinned until this object and every ring attached to it are disposed; only then is the range unmapped and
/// are the pins dropped, so the front can end access.
/// </remarks>
public sealed unsafe class ForeignRing : IDisposable
{
    private readonly Mapping _mapping;

    private ForeignRing(Mapping mapping, int order, int domainId)
    {
        _mapping = mapping;
        Order = order;
        DomainId = domainId;
    }

    /// <summary>The granting domain.</summary>
    public int DomainId { get; }

    /// <summary>The ring spans 2^<see cref="Order"/> pages.</summary>
    public int Order { get; }

    /// <summary>The number of pages mapped.</summary>
    public int PageCount => 1 << Order;

    /// <summary>The first byte of the contiguous range (for tests and diagnostics).</summary>
    internal byte* Address => _mapping.Address;

    /// <summary>
    /// Maps the pages of <paramref name="references"/> (page i behind reference i) read-write into one contiguous
    /// range. The count must be a power of two, 1..2^<see cref="SharedRingLayout.MaxOrder"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is null.</exception>
    /// <exception cref="ArgumentException">The number of references is not a power of two within range.</exception>
    /// <exception cref="PvRingProtocolException">A reference is not a valid read-write grant to this domain (the message has Xen's status and the reference); nothing stays mapped.</exception>
    /// <exception cref="PvRingException">The kernel refused the mapping.</exception>
    public static ForeignRing Map(ForeignDomain domain, ReadOnlySpan<uint> references)
    {
        ArgumentNullException.ThrowIfNull(domain);
        if (references.Length == 0 || !int.IsPow2(references.Length) || references.Length > (1 << SharedRingLayout.MaxOrder))
        {
            throw new ArgumentException($"A ring needs a power-of-two number of pages up to {1 << SharedRingLayout.MaxOrder}, not {references.Length}.", nameof(references));
        }

        // A hostile front may name one page twice: the ring's pages would alias, and each slot write land twice.
        for (int i = 1; i < references.Length; i++)
        {
            if (references[..i].Contains(references[i]))
            {
                throw new PvRingProtocolException($"The ring's pages {references[..i].IndexOf(references[i])} and {i} are the same grant reference {references[i]}.");
            }
        }

        IPageMapper mapper = PageMappers.Default;
        nuint length = (nuint)references.Length << XenPage.Shift;
        byte* range = mapper.Reserve(length, out int errno);
        if (range is null)
        {
            throw new PvRingException($"Cannot reserve {length} bytes of address space for a ring: errno={errno}.");
        }

        var pinned = new uint[references.Length];
        int done = 0;
        MappingLease tableLease = domain.LeaseTable();
        try
        {
            for (; done < references.Length; done++)
            {
                uint reference = references[done];
                GrantStatus status = domain.Pin(reference, writable: true, out uint frame);
                if (status != GrantStatus.Okay)
                {
                    throw new PvRingProtocolException($"Cannot map ring page {done}: status={status} ({(short)status}), ref={reference}.");
                }

                if (!mapper.MapFixed(range + ((nuint)done << XenPage.Shift), domain.ArenaFileDescriptor, (long)frame << XenPage.Shift, XenPage.Size, writable: true, out errno))
                {
                    domain.Unpin(reference, writable: true);
                    throw new PvRingException($"mmap of ring page {done} (frame {frame}, ref={reference}) failed: errno={errno}.");
                }

                pinned[done] = reference;
            }
        }
        catch
        {
            mapper.Unmap(range, length);
            for (int i = 0; i < done; i++)
            {
                domain.Unpin(pinned[i], writable: true);
            }

            tableLease.Dispose();
            throw;
        }

        int order = System.Numerics.BitOperations.Log2((uint)references.Length);
        return new ForeignRing(new Mapping(domain, mapper, range, length, pinned, tableLease), order, domain.DomainId);
    }

    /// <summary>
    /// <c>BACK_RING_INIT</c> over the mapped pages for a ring of <paramref name="variant"/>'s layout, which the front
    /// initialised with the same variant; the ring keeps the pages mapped until it is disposed too.
    /// </summary>
    /// <exception cref="ArgumentException">The variant's order is not this ring's order.</exception>
    /// <exception cref="ObjectDisposedException">This mapping was disposed.</exception>
    public BackRing<TRequest, TResponse> Attach<TRequest, TResponse>(RingVariant variant)
        where TRequest : unmanaged
        where TResponse : unmanaged
    {
        if (variant.Order != Order)
        {
            throw new ArgumentException($"{PageCount} pages were mapped (order {Order}); the variant has order {variant.Order}.", nameof(variant));
        }

        MappingLease lease = MappingLease.Acquire(_mapping, guard: null, _mapping.GranterFiles);
        try
        {
            var view = new SharedRingView(_mapping.Address, (long)_mapping.Length, 0, RingVariantLayout.Geometry<TRequest, TResponse>(variant), sizeof(TRequest), sizeof(TResponse));
            return new BackRing<TRequest, TResponse>(view, lease, startIndex: 0);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Drops this object's hold on the pages; they are unmapped and unpinned once every ring attached to them is
    /// disposed too.
    /// </summary>
    public void Dispose() => _mapping.Dispose();

    /// <summary>The range and its pins; released (unmapped, then unpinned) when the last reference goes.</summary>
    private sealed class Mapping : SafeHandle
    {
        private readonly ForeignDomain _domain;
        private readonly IPageMapper _mapper;
        private readonly uint[] _references;
        private readonly MappingLease _tableLease;

        /// <summary>The size checks of the granter's files (store mode; empty for sealed memory), for the ring's slow paths.</summary>
        public TruncationGuardSet GranterFiles => _domain.Files;

        public Mapping(ForeignDomain domain, IPageMapper mapper, byte* address, nuint length, uint[] references, MappingLease tableLease)
            : base(IntPtr.Zero, ownsHandle: true)
        {
            _domain = domain;
            _mapper = mapper;
            _references = references;
            _tableLease = tableLease;
            Length = length;
            SetHandle((nint)address);
        }

        public byte* Address => (byte*)handle;

        public nuint Length { get; }

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
        {
            // munmap first: once it returns no access through the range remains, so the front may end access.
            _mapper.Unmap((byte*)handle, Length);
            foreach (uint reference in _references)
            {
                _domain.Unpin(reference, writable: true);
            }

            _tableLease.Dispose();
            return true;
        }
    }
}
