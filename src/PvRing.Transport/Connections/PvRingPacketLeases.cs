// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers;
using System.Runtime.CompilerServices;
using PvRing.Grants;

namespace PvRing.Transport;

/// <summary>
/// The packets one connection has lent (<see cref="PvRingPacket"/>): a table of entries, each a zero-copy slot (the front's
/// receive id, or the back's grant lease and request id) or a pooled array, with a version so a stale or second
/// <see cref="PvRingPacket.Dispose"/> does nothing. Entries and their memory managers are made once and reused: leasing
/// allocates nothing in steady state. Used from the receiving side only, like the receive calls; no locks.
/// </summary>
internal sealed unsafe class PvRingPacketLeases
{
    private readonly Action<Entry> _releaseSlot;
    private readonly int _slotBudget;
    private Entry[] _entries = new Entry[8];
    private int[] _free = new int[8];
    private int _freeCount;
    private int _created;

    /// <param name="releaseSlot">Gives a zero-copy entry's slot back to its queue.</param>
    /// <param name="ringSize">The slots of the ring the packets arrive on: at most half of them are lent, so the peer can always send.</param>
    public PvRingPacketLeases(Action<Entry> releaseSlot, int ringSize)
    {
        _releaseSlot = releaseSlot;
        _slotBudget = Math.Clamp(ringSize / 2, 1, NetPacketLimits.MaxHeldPackets);
    }

    /// <summary>Zero-copy packets out now.</summary>
    public int SlotsOut { get; private set; }

    /// <summary>Whether another zero-copy packet may be lent (else the caller copies into a pooled array).</summary>
    public bool CanLendSlot => SlotsOut < _slotBudget;

    /// <summary>How many zero-copy packets may be out at once: half the ring's slots, at most <see cref="NetPacketLimits.MaxHeldPackets"/>.</summary>
    public int SlotBudget => _slotBudget;

    /// <summary>Lends a zero-copy slot: the front's receive id, or the back's lease and request id, are what give it back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public PvRingPacket LendSlot(PacketSegment segment, int frontId, ref GrantLease backLease, ushort backId)
    {
        Entry entry = Rent(out int index);
        entry.FrontId = frontId;
        entry.BackLease = backLease;
        entry.BackId = backId;
        entry.IsSlot = true;
        SlotsOut++;
        return new PvRingPacket(this, index, entry.Version, entry.Memory.Lend(segment.Address, segment.Length));
    }

    /// <summary>Lends <paramref name="length"/> bytes of a pooled array.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public PvRingPacket LendArray(byte[] array, int length)
    {
        Entry entry = Rent(out int index);
        entry.Array = array;
        return new PvRingPacket(this, index, entry.Version, array.AsMemory(0, length));
    }

    /// <summary>Gives an entry back, once per lending; a stale version (disposed already) is ignored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Return(int index, int version)
    {
        Entry entry = _entries[index];
        if (entry.Version != version)
        {
            return;
        }

        entry.Version++;
        if (entry.Array is byte[] array)
        {
            entry.Array = null;
            ArrayPool<byte>.Shared.Return(array);
        }
        else
        {
            entry.IsSlot = false;
            SlotsOut--;
            entry.Memory.Lend(null, 0);
            _releaseSlot(entry);
        }

        _free[_freeCount++] = index;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Entry Rent(out int index)
    {
        if (_freeCount > 0)
        {
            index = _free[--_freeCount];
            return _entries[index];
        }

        if (_created == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
            Array.Resize(ref _free, _entries.Length);
        }

        index = _created++;
        return _entries[index] = new Entry();
    }

    /// <summary>One lending: what it holds and how to give it back.</summary>
    internal sealed class Entry
    {
        /// <summary>Bumped at every return, so an old <see cref="PvRingPacket"/> cannot return the entry again.</summary>
        public int Version;

        /// <summary>The pooled copy, or null for a zero-copy slot.</summary>
        public byte[]? Array;

        /// <summary>Whether this is a zero-copy slot out now.</summary>
        public bool IsSlot;

        /// <summary>The front's receive id (front end).</summary>
        public int FrontId;

        /// <summary>The back's grant lease on the front's page (back end).</summary>
        public GrantLease BackLease;

        /// <summary>The request id the back answers when the packet comes back (back end).</summary>
        public ushort BackId;

        /// <summary>The reusable memory manager that turns the slot's pointer into a <see cref="Memory{T}"/>.</summary>
        public readonly SlotMemory Memory = new();
    }

    /// <summary>A <see cref="MemoryManager{T}"/> over one shared page range, pointed again at each lending.</summary>
    internal sealed class SlotMemory : MemoryManager<byte>
    {
        private byte* _address;
        private int _length;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public ReadOnlyMemory<byte> Lend(byte* address, int length)
        {
            _address = address;
            _length = length;
            return length == 0 ? ReadOnlyMemory<byte>.Empty : CreateMemory(length);
        }

        public override Span<byte> GetSpan() => new(_address, _length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(_address + elementIndex);

        public override void Unpin()
        {
            // Shared memory does not move.
        }

        protected override void Dispose(bool disposing)
        {
            _address = null;
            _length = 0;
        }
    }
}
