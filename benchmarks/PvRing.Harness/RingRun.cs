// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Harness;

/// <summary>One run of a <see cref="RingScheduleSession"/>: what to run, and what it measured.</summary>
/// <param name="variant">The ring layout and order (netif TX slots).</param>
/// <param name="workload">The traffic pattern: batches of front and back, requests outstanding.</param>
/// <param name="total">Requests of the whole run, warm-up included.</param>
/// <param name="warmup">Requests before the clock starts.</param>
internal sealed class RingRun(PvRing.Rings.RingVariant variant, RingWorkload workload, long total, long warmup)
{
    public PvRing.Rings.RingVariant Variant { get; } = variant;

    public RingWorkload Workload { get; } = workload;

    public long Total { get; } = total;

    public long Warmup { get; } = warmup;

    /// <summary>Requests/s over the timed part.</summary>
    public double Rate { get; set; }

    public long FrontPublications { get; set; }

    public long BackPublications { get; set; }

    /// <summary>CPU seconds of both processes over the whole run (warm-up included) per request.</summary>
    public double CpuSecondsPerRequest { get; set; } = double.NaN;

    /// <summary>Requests per front publication over the timed part.</summary>
    public double FrontBatch => FrontPublications == 0 ? double.NaN : (double)(Total - Warmup) / FrontPublications;

    /// <summary>Responses per back publication over the whole run (the peer does not know where the timing starts).</summary>
    public double BackBatch => BackPublications == 0 ? double.NaN : (double)Total / BackPublications;
}
