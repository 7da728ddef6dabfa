// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using PvRing.Memory;
using PvRing.Platform;

namespace PvRing.Grants;

/// <summary>
/// Xen's maptrack for one mapper: a fixed table of live mappings (address, reference, writability) indexed by
/// handle, with a lock-free free list of slots. Map = pin the entry, then <c>mmap</c> exactly that frame of the
/// granter's arena file; unmap = <c>munmap</c>, then unpin, so the granter can end access only once the page is gone.
/// </summary>
internal sealed unsafe class MapTrack
{
    private readonly ForeignDomain _domain;
    private readonly GrantCounters _counters;
    private readonly IPageMapper _mapper;
    private readonly nint[] _addresses;
    private readonly uint[] _references;
    private readonly bool[] _writable;
    private readonly IndexFreeList _free;

    public MapTrack(ForeignDomain domain, int capacity, GrantCounters counters)
    {
        _domain = domain;
        _counters = counters;
        _mapper = PageMappers.Default;
        _addresses = new nint[capacity];
        _references = new uint[capacity];
        _writable = new bool[capacity];
        _free = new IndexFreeList(capacity);
        for (int slot = capacity - 1; slot >= 0; slot--)
        {
            _free.Push(slot);
        }
    }

    public int Capacity => _addresses.Length;

    public GrantStatus Map(uint reference, bool writable, out GrantHandle handle)
    {
        handle = default;
        if (!_free.TryPop(out int slot))
        {
            return GrantStatus.NoSpace;
        }

        GrantStatus status = _domain.Pin(reference, writable, out uint frame);
        if (status != GrantStatus.Okay)
        {
            _free.Push(slot);
            return status;
        }

        byte* address = _mapper.Map(_domain.ArenaFileDescriptor, (long)frame << XenPage.Shift, XenPage.Size, writable, out _);
        if (address is null)
        {
            _domain.Unpin(reference, writable);
            _free.Push(slot);
            return GrantStatus.BadVirtAddr;
        }

        _references[slot] = reference;
        _writable[slot] = writable;
        // Release: the slot's fields are visible before the address that marks the handle live.
        Volatile.Write(ref _addresses[slot], (nint)address);
        handle = new GrantHandle(slot + 1);
        Interlocked.Increment(ref _counters.Maps);
        return GrantStatus.Okay;
    }

    public GrantStatus Unmap(GrantHandle handle)
    {
        int slot = handle.Value - 1;
        if ((uint)slot >= (uint)_addresses.Length)
        {
            return GrantStatus.BadHandle;
        }

        // Exchange claims the mapping: of two threads unmapping one handle, one gets BadHandle.
        nint address = Interlocked.Exchange(ref _addresses[slot], 0);
        if (address == 0)
        {
            return GrantStatus.BadHandle;
        }

        _mapper.Unmap((byte*)address, XenPage.Size);
        // munmap returned, so no access through the mapping remains; only now may the granter end access.
        _domain.Unpin(_references[slot], _writable[slot]);
        _free.Push(slot);
        Interlocked.Increment(ref _counters.Unmaps);
        return GrantStatus.Okay;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* Address(GrantHandle handle, out bool writable)
    {
        int slot = handle.Value - 1;
        if ((uint)slot >= (uint)_addresses.Length)
        {
            GrantThrowHelper.ThrowBadHandle(handle.Value);
        }

        nint address = Volatile.Read(ref _addresses[slot]);
        if (address == 0)
        {
            GrantThrowHelper.ThrowBadHandle(handle.Value);
        }

        writable = _writable[slot];
        return (byte*)address;
    }

    public void UnmapAll()
    {
        for (int slot = 0; slot < _addresses.Length; slot++)
        {
            if (Volatile.Read(ref _addresses[slot]) != 0)
            {
                _ = Unmap(new GrantHandle(slot + 1));
            }
        }
    }
}
