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
}
