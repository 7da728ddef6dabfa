// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>A ring end that <see cref="RingMetrics"/> reads when a listener collects.</summary>
internal interface IRingMetricsSource
{
    /// <summary>A copy of the ring's counters (each field a whole 64-bit read).</summary>
    RingCounters ReadCounters();
}
