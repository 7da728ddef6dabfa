// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;

namespace PvRing.Samples;

/// <summary>
/// One-way latencies in nanoseconds, in log-linear buckets (HdrHistogram's shape: 64 linear sub-buckets per power of
/// two, so a percentile is within 1/64 of the truth) in one fixed array: recording is an increment, no allocation and no
/// sort, whatever the packet count.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 6;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int BucketCount = (SubBuckets * 57) + (2 * SubBuckets);

    private readonly long[] _counts = new long[BucketCount];
    private readonly double _nanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    public long Count { get; private set; }

    public long MaxNanoseconds { get; private set; }

    /// <summary>Records the time from <paramref name="sentTimestamp"/> to <paramref name="receivedTimestamp"/> (Stopwatch ticks).</summary>
    public void Record(long sentTimestamp, long receivedTimestamp)
    {
        // One monotonic clock for both processes: a negative difference cannot happen, but a hostile sender's can.
        long nanoseconds = Math.Max(0, (long)((receivedTimestamp - sentTimestamp) * _nanosecondsPerTick));
        _counts[IndexOf(nanoseconds)]++;
        Count++;
        MaxNanoseconds = Math.Max(MaxNanoseconds, nanoseconds);
    }

    /// <summary>The value at or below which <paramref name="fraction"/> of the samples lie (the bucket's upper edge, capped by the maximum).</summary>
    public long PercentileNanoseconds(double fraction)
    {
        long target = Math.Max(1, (long)Math.Ceiling(fraction * Count));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= target)
            {
                return Math.Min(UpperEdge(i), MaxNanoseconds);
            }
        }

        return MaxNanoseconds;
    }

    // Values below 128 have their own bucket; above, bucket e holds [64 << e, 128 << e) in 64 steps of 1 << e.
    private static int IndexOf(long value)
    {
        int shift = (int)Math.Max(0, (63 - long.LeadingZeroCount(value | 1)) - SubBucketBits);
        return (int)((SubBuckets * shift) + (value >> shift));
    }

    private static long UpperEdge(int index)
    {
        if (index < 2 * SubBuckets)
        {
            return index;
        }

        int shift = (index / SubBuckets) - 1;
        long mantissa = index - (SubBuckets * shift);
        return ((mantissa + 1) << shift) - 1;
    }
}
