// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;

namespace PvRing.Harness;

/// <summary>
/// The C reference: tests/conformance/xen_ring_peer.c, built with gcc -O2 against Xen's own ring.h
/// (Debian libxen-dev) into a temporary folder, once per harness run.
/// </summary>
internal static class NativePeer
{
    private static readonly NativeProgram s_program = new(System.IO.Path.Combine("tests", "conformance", "xen_ring_peer.c"));

    public static string Path => s_program.Path;

    /// <summary>One cache-line ping-pong between the two CPUs: the regime probe (see docs/benchmarks.md).</summary>
    public static double ProbeRoundTripNanoseconds(int cpuA, int cpuB, long iterations = 200_000) =>
        s_program.Result("roundtrip_ns", "pingpong", cpuA.ToString(CultureInfo.InvariantCulture), cpuB.ToString(CultureInfo.InvariantCulture),
            iterations.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// The C pair streaming: <c>back</c> pinned to <paramref name="back"/>, <c>front</c> pinned to <paramref name="front"/>,
    /// a ring file of 2^<paramref name="order"/> pages at <paramref name="ring"/>; the front's requests/s.
    /// </summary>
    public static double StreamRequestsPerSecond(string ring, int order, long count, int front, int back)
    {
        var backProcess = Measurement.Start(back, Path, "back", ring, count.ToString(CultureInfo.InvariantCulture));
        var frontProcess = Measurement.Start(front, Path, "front", ring, order.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture));
        string output = Measurement.Finish(frontProcess, "C front");
        Measurement.Finish(backProcess, "C back");
        return Measurement.ResultValue(output, "requests_per_second");
    }
}
