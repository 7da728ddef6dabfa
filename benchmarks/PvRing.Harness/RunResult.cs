// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;

namespace PvRing.Harness;

/// <summary>One timed run of <c>packets</c>: its case, rates over the timed window, and what the ends agreed.</summary>
internal readonly record struct RunResult(PacketCase Case, double PacketsPerSecond, double BytesPerSecond, string Agreed)
{
    public static RunResult Of(PacketCase c, long packets, long ticks, string agreed)
    {
        double rate = packets * (double)Stopwatch.Frequency / ticks;
        return new RunResult(c, rate, rate * c.Size, agreed);
    }
}
