// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>A ring end that <see cref="RingMetrics"/> reads when a listener collects.</summary>
internal interface IRingMetricsSource
{
    /// <summary>The private producer index (requests at the front, responses at the back): slots produced so far, mod 2^32.</summary>
    uint ProducerIndex { get; }

    /// <summary>The private consumer index (responses at the front, requests at the back): slots consumed so far, mod 2^32.</summary>
    uint ConsumerIndex { get; }

    /// <summary>A copy of the ring's batch counters (each field a whole 64-bit read).</summary>
    RingCounters ReadCounters();
}
