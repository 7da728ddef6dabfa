// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;

namespace PvRing.Harness;

/// <summary>
/// The C reference: tests/conformance/xen_ring_peer.c, built with gcc -O2 against Xen's own ring.h
/// (Debian libxen-dev) into a temporary folder, once per harness run.
/// </summary>
internal static class NativePeer
{
    private static readonly Lazy<string> s_binary = new(Build);

    public static string Path => s_binary.Value;

    /// <summary>One cache-line ping-pong between the two CPUs: the regime probe (see docs/benchmarks.md).</summary>
    public static double ProbeRoundTripNanoseconds(int cpuA, int cpuB)
    {
        string output = Measurement.Finish(Measurement.Start(null, Path, "pingpong", cpuA.ToString(), cpuB.ToString(), "200000"), "pingpong probe");
        return Measurement.ResultValue(output, "roundtrip_ns");
    }

    private static string Build()
    {
        string source = System.IO.Path.Combine(Repository.Root, "tests", "conformance", "xen_ring_peer.c");
        string binary = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"pvring-harness-{Environment.ProcessId}", "xen_ring_peer");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(binary)!);
        using Process gcc = Process.Start("gcc", ["-O2", "-pthread", "-o", binary, source])
            ?? throw new InvalidOperationException("gcc did not start (apt-get install -y gcc libxen-dev)");
        if (!gcc.WaitForExit(TimeSpan.FromMinutes(2)) || gcc.ExitCode != 0)
        {
            throw new InvalidOperationException($"gcc could not build {source} (apt-get install -y gcc libxen-dev)");
        }

        return binary;
    }
}
