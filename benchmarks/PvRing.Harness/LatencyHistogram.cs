// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using HdrHistogram;

namespace PvRing.Harness;

/// <summary>
/// The harness's one latency histogram: an HdrHistogram of round trips in <see cref="Stopwatch"/> ticks (1 ns on
/// Linux), three significant digits, from 1 tick to 10 s; percentiles come out in microseconds. Recording allocates
/// nothing.
/// </summary>
internal sealed class LatencyHistogram
{
    private readonly LongHistogram _histogram = new(1, 10 * Stopwatch.Frequency, 3);

    /// <summary>Round trips recorded.</summary>
    public long Count => _histogram.TotalCount;

    /// <summary>Records one round trip of <paramref name="ticks"/> Stopwatch ticks.</summary>
    public void Record(long ticks) => _histogram.RecordValue(Math.Clamp(ticks, 1, _histogram.HighestTrackableValue));

    /// <summary>The round trip at <paramref name="percentile"/> (0..100) in microseconds; NaN when empty.</summary>
    public double Microseconds(double percentile) =>
        Count == 0 ? double.NaN : _histogram.GetValueAtPercentile(percentile) * 1e6 / Stopwatch.Frequency;

    /// <summary>The mean round trip in microseconds; NaN when empty.</summary>
    public double MeanMicroseconds => Count == 0 ? double.NaN : _histogram.GetMean() * 1e6 / Stopwatch.Frequency;

    public double P50 => Microseconds(50);

    public double P99 => Microseconds(99);

    public double P999 => Microseconds(99.9);

    /// <summary>Adds every value of <paramref name="other"/> (a cell's repetitions merged for the plots).</summary>
    public void Add(LatencyHistogram other) => _histogram.Add(other._histogram);

    public void Reset() => _histogram.Reset();
}
