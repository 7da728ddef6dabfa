// Licensed under the MIT License. See LICENSE in the repository root.

using System.ComponentModel;
using System.Diagnostics;

namespace PvRing.Harness;

/// <summary>
/// Whether <c>perf stat</c> can count cycles and instructions on this machine (a VM without a virtual PMU cannot:
/// perf reports them as not supported). The harness counts in software either way.
/// </summary>
internal static class HardwareCounters
{
    /// <summary>One line for the report: what perf said.</summary>
    public static string Describe()
    {
        try
        {
            var info = new ProcessStartInfo("perf") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string argument in new[] { "stat", "-x,", "-e", "cycles,instructions", "true" })
            {
                info.ArgumentList.Add(argument);
            }

            using Process perf = Process.Start(info)!;
            string output = perf.StandardError.ReadToEnd() + perf.StandardOutput.ReadToEnd();
            if (!perf.WaitForExit(TimeSpan.FromSeconds(10)) || perf.ExitCode != 0)
            {
                return $"not available: `perf stat` failed ({output.Trim().Split('\n')[0]}); software counts only.";
            }

            return output.Contains("<not supported>", StringComparison.Ordinal) || output.Contains("<not counted>", StringComparison.Ordinal)
                ? "not available: `perf stat -e cycles,instructions` reports them <not supported> (no PMU in this VM); software counts only."
                : "perf counts cycles and instructions here, but the matrix does not collect them per cell yet; software counts only.";
        }
        catch (Win32Exception)
        {
            return "not available: perf is not installed (apt-get install linux-perf); software counts only.";
        }
    }
}
