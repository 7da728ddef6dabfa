// Licensed under the MIT License. See LICENSE in the repository root.

using System.ComponentModel;

namespace PvRing.Harness;

/// <summary>
/// The cache-line ping-pong probe that says which regime the host had the two vCPUs in (see docs/benchmarks.md):
/// "near" below 200 ns per round trip, "far" above; a pair of probes in different regimes is "mixed".
/// </summary>
internal static class RegimeProbe
{
    private const double NearRegimeNanoseconds = 200;

    /// <summary>One probe, or NaN (with a note on stderr) when the C peer cannot be built.</summary>
    public static double Measure(int cpuA, int cpuB)
    {
        try
        {
            return NativePeer.ProbeRoundTripNanoseconds(cpuA, cpuB);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            Console.Error.WriteLine($"regime probe unavailable: {e.Message}");
            return double.NaN;
        }
    }

    /// <summary>Both probes in one regime, or "mixed" when the host moved the vCPUs in between.</summary>
    public static string Regime(double before, double after) => (double.IsNaN(before) || double.IsNaN(after))
        ? "unknown"
        : (before < NearRegimeNanoseconds, after < NearRegimeNanoseconds) switch
        {
            (true, true) => "near",
            (false, false) => "far",
            _ => "mixed",
        };
}
