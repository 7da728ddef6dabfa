// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;

namespace PvRing.Harness;

/// <summary>One timed run of <c>packets</c>: its case, rates over the timed window, and what the ends agreed.</summary>
/// <remarks><see cref="CpuSecondsPerPacket"/>: CPU time of both processes (all threads) over the timed window, per packet.</remarks>
internal readonly record struct RunResult(PacketCase Case, double PacketsPerSecond, double BytesPerSecond, double CpuSecondsPerPacket, string Agreed)
{
    public static RunResult Of(PacketCase c, long packets, long ticks, double cpuSeconds, string agreed)
    {
        double rate = packets * (double)Stopwatch.Frequency / ticks;
        return new RunResult(c, rate, rate * c.Size, cpuSeconds / packets, agreed);
    }
}
