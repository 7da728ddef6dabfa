// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Rings;

/// <summary>
/// One ring end's batch counters, plain fields inside the ring object, written by the one thread that uses the ring and
/// read (whole 64-bit loads) by the "PvRing.Rings" meter when a listener collects (<see cref="RingMetrics"/>).
/// </summary>
/// <remarks>
/// Design: the slot counts cost nothing on the hot path: they are the ring's own free-running private indices, which
/// <see cref="RingMetrics"/> reads and widens to 64 bits (it samples often enough that an index cannot wrap unseen).
/// What the indices cannot tell is counted here, one add per publish or consume call, never per slot. No lock, no
/// atomic, no allocation.
/// </remarks>
internal struct RingCounters
{
    /// <summary>Publish calls (index stores): the published slots divided by this is the mean batch.</summary>
    public long Publishes;

    /// <summary>Consume calls that took at least one slot.</summary>
    public long ConsumeBatches;

    /// <summary>Publishes (front only) that left the request ring with no free slot.</summary>
    public long Full;

    /// <summary>Both private indices at the ring's creation: where its slot counts start.</summary>
    public uint StartIndex;

    /// <summary>A publish; <paramref name="full"/>: it left no free slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnPublish(bool full)
    {
        Publishes++;
        Full += full ? 1 : 0;
    }

    /// <summary>A consume call that took <paramref name="count"/> slots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnConsume(uint count) => ConsumeBatches += count != 0 ? 1 : 0;
}
