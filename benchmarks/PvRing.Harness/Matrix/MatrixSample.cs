// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Harness.Matrix;

/// <summary>
/// One repetition of one matrix cell. NaN where the cell has no such figure (a streaming cell has no round trip; a
/// busy-polled one sends no notifications); <see cref="MatrixReport"/> says which.
/// </summary>
/// <param name="Rep">The repetition (0-based).</param>
/// <param name="MessagesPerSecond">Messages (descriptors, packets, round trips) per second.</param>
/// <param name="GigabytesPerSecond">Payload bytes (10^9) per second.</param>
/// <param name="RoundTripMicroseconds">The round trip: the histogram's median where there is one, else the mean (time / round trips).</param>
/// <param name="P50">Round trip p50 from the histogram, microseconds.</param>
/// <param name="P99">Round trip p99, microseconds.</param>
/// <param name="P999">Round trip p99.9, microseconds.</param>
/// <param name="NotificationsPerMessage">Event channel notifications the front sent per message.</param>
/// <param name="SystemCallsPerMessage">Futex system calls of the front's channel per message.</param>
/// <param name="CpuSecondsPerMessage">CPU time of both sides (processes or threads) per message.</param>
/// <param name="IdleCpu">CPU share of a waiting back with nothing to do (0..1), round-trip cells only.</param>
/// <param name="ProbeBefore">Cache-line round trip (ns) just before the cell.</param>
/// <param name="ProbeAfter">Cache-line round trip (ns) just after the cell.</param>
internal sealed record MatrixSample(
    int Rep,
    double MessagesPerSecond,
    double GigabytesPerSecond,
    double RoundTripMicroseconds,
    double P50,
    double P99,
    double P999,
    double NotificationsPerMessage,
    double SystemCallsPerMessage,
    double CpuSecondsPerMessage,
    double IdleCpu,
    double ProbeBefore,
    double ProbeAfter)
{
    /// <summary>When in its repetition the sample was taken (a step counter): a ratio divides by the reference samples next to it.</summary>
    public int Slot { get; init; }

    /// <summary>near, far or mixed: the regime of the host's vCPU placement around the cell.</summary>
    public string Regime => RegimeProbe.Regime(ProbeBefore, ProbeAfter);

    /// <summary>A throughput sample (no round trip, nothing counted but CPU time).</summary>
    public static MatrixSample Throughput(int rep, double messagesPerSecond, int messageBytes, double cpuSecondsPerMessage, (double Before, double After) probe) =>
        new(rep, messagesPerSecond, messagesPerSecond * messageBytes / 1e9, double.NaN, double.NaN, double.NaN, double.NaN,
            double.NaN, double.NaN, cpuSecondsPerMessage, double.NaN, probe.Before, probe.After);

    /// <summary>A round-trip sample measured as a mean (time / round trips), without a histogram.</summary>
    public static MatrixSample MeanRoundTrip(int rep, double roundTripNanoseconds, int messageBytes, double cpuSecondsPerMessage, (double Before, double After) probe) =>
        new(rep, 1e9 / roundTripNanoseconds, 1e9 / roundTripNanoseconds * messageBytes / 1e9, roundTripNanoseconds / 1e3, double.NaN, double.NaN, double.NaN,
            double.NaN, double.NaN, cpuSecondsPerMessage, double.NaN, probe.Before, probe.After);
}
