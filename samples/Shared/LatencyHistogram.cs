// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using HdrHistogram;

namespace PvRing.Samples;

/// <summary>
/// The one latency histogram of the samples and the harness (which links this file): an HdrHistogram of intervals in
/// <see cref="Stopwatch"/> ticks (1 ns on Linux), three significant digits, from 1 tick to 10 s. Recording allocates
/// nothing, whatever the count.
/// </summary>
internal sealed class LatencyHistogram
{
    private readonly LongHistogram _histogram = new(1, 10 * Stopwatch.Frequency, 3);

    /// <summary>Intervals recorded.</summary>
    public long Count => _histogram.TotalCount;

    /// <summary>Records one interval of <paramref name="ticks"/> Stopwatch ticks (clamped to the histogram's range).</summary>
    public void Record(long ticks) => _histogram.RecordValue(Math.Clamp(ticks, 1, _histogram.HighestTrackableValue));

    /// <summary>
    /// Records the time from <paramref name="sentTimestamp"/> to <paramref name="receivedTimestamp"/> (one monotonic clock
    /// for both processes: a negative difference cannot happen, but a hostile sender's stamp can make one, and it counts as the least).
    /// </summary>
    public void Record(long sentTimestamp, long receivedTimestamp) => Record(receivedTimestamp - sentTimestamp);

    /// <summary>The interval at <paramref name="percentile"/> (0..100) in microseconds; NaN when empty.</summary>
    public double Microseconds(double percentile) =>
        Count == 0 ? double.NaN : _histogram.GetValueAtPercentile(percentile) * 1e6 / Stopwatch.Frequency;

    /// <summary>The interval at or below which <paramref name="fraction"/> (0..1) of the samples lie, in nanoseconds; 0 when empty.</summary>
    public long PercentileNanoseconds(double fraction) =>
        Count == 0 ? 0 : (long)(_histogram.GetValueAtPercentile(fraction * 100) * 1e9 / Stopwatch.Frequency);

    /// <summary>The largest interval in nanoseconds; 0 when empty.</summary>
    public long MaxNanoseconds => Count == 0 ? 0 : (long)(_histogram.GetMaxValue() * 1e9 / Stopwatch.Frequency);

    /// <summary>The mean interval in microseconds; NaN when empty.</summary>
    public double MeanMicroseconds => Count == 0 ? double.NaN : _histogram.GetMean() * 1e6 / Stopwatch.Frequency;

    public double P50 => Microseconds(50);

    public double P99 => Microseconds(99);

    public double P999 => Microseconds(99.9);

    /// <summary>Adds every value of <paramref name="other"/> (a cell's repetitions merged for the plots).</summary>
    public void Add(LatencyHistogram other) => _histogram.Add(other._histogram);

    public void Reset() => _histogram.Reset();
}
