// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Rings;

/// <summary>
/// One ring end's counters, plain fields inside the ring object, written by the one thread that uses the ring and read
/// (whole 64-bit loads) by the "PvRing.Rings" meter when a listener collects (<see cref="RingMetrics"/>).
/// </summary>
/// <remarks>
/// Design: counted once per publish and once per consume call, never per slot, from the private indices the ring keeps
/// anyway: a publish adds how far the private producer moved since the last publish. No lock, no atomic, no allocation.
/// </remarks>
internal struct RingCounters
{
    /// <summary>Slots (requests at the front, responses at the back) published to the peer.</summary>
    public long Published;

    /// <summary>Index stores that published at least one slot: <see cref="Published"/> / this is the mean batch.</summary>
    public long Publishes;

    /// <summary>Slots consumed (responses at the front, requests at the back).</summary>
    public long Consumed;

    /// <summary>Consume calls that took at least one slot.</summary>
    public long ConsumeBatches;

    /// <summary>Publishes (front only) that left the request ring with no free slot.</summary>
    public long Full;

    private uint _lastPublished;

    /// <summary>Starts counting from the private producer index <paramref name="producer"/>.</summary>
    public void Start(uint producer) => _lastPublished = producer;

    /// <summary>A publish of every slot up to <paramref name="producer"/>; <paramref name="full"/>: no free slot is left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnPublish(uint producer, bool full)
    {
        uint count = RingIndex.Distance(_lastPublished, producer);
        _lastPublished = producer;
        Published += count;
        Publishes += count != 0 ? 1 : 0;
        Full += full ? 1 : 0;
    }

    /// <summary>A consume call that took <paramref name="count"/> slots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnConsume(uint count)
    {
        Consumed += count;
        ConsumeBatches += count != 0 ? 1 : 0;
    }
}
