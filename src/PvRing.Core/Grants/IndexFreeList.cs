// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Grants;

/// <summary>
/// A lock-free LIFO free list of small integer indices (grant references, mapping handles, pool pages).
/// </summary>
/// <remarks>
/// Design: a Treiber stack over a preallocated <c>next</c> array. The head is one 64-bit word holding
/// {version (high 32 bits), top index (low 32 bits)}; every successful push or pop bumps the version, so a
/// pop that read a stale <c>next</c> (another thread popped and pushed the same index in between: ABA)
/// fails its compare-and-swap and retries. Concurrency contract: any number of threads may push and pop at
/// once; each index must be pushed at most once between two pops of it (freeing twice corrupts the list:
/// callers own that, as with Linux's <c>gnttab_free_grant_reference</c>). No allocation, no lock. LIFO keeps a
/// small working set of pages hot in the cache, as blkfront's persistent pool does.
/// </remarks>
internal sealed class IndexFreeList
{
    private const uint Empty = uint.MaxValue;

    private readonly int[] _next;
    private long _head;

    /// <summary>Creates an empty list able to hold the indices 0 to <paramref name="capacity"/> - 1.</summary>
    public IndexFreeList(int capacity)
    {
        _next = new int[capacity];
        _head = Empty;
    }

    /// <summary>The largest index plus one.</summary>
    public int Capacity => _next.Length;

    /// <summary>Pushes <paramref name="index"/>; it must not be in the list already.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push(int index)
    {
        while (true)
        {
            long head = Volatile.Read(ref _head);
            // The link is written before the compare-and-swap that publishes the index (a full fence).
            _next[index] = (int)(uint)head;
            long updated = (long)(((ulong)head & 0xFFFF_FFFF_0000_0000UL) + 0x1_0000_0000UL) | (uint)index;
            if (Interlocked.CompareExchange(ref _head, updated, head) == head)
            {
                return;
            }
        }
    }

    /// <summary>Pops the most recently pushed index; false when the list is empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPop(out int index)
    {
        while (true)
        {
            long head = Volatile.Read(ref _head);
            uint top = (uint)head;
            if (top == Empty)
            {
                index = -1;
                return false;
            }

            // May be stale if another thread popped 'top' meanwhile; the version in the head then makes the CAS fail.
            uint next = (uint)Volatile.Read(ref _next[top]);
            long updated = (long)(((ulong)head & 0xFFFF_FFFF_0000_0000UL) + 0x1_0000_0000UL) | next;
            if (Interlocked.CompareExchange(ref _head, updated, head) == head)
            {
                index = (int)top;
                return true;
            }
        }
    }
}
