// Licensed under the MIT License. See LICENSE in the repository root.

using System.Text.Json;
using PvRing.Tests.Infrastructure;

namespace PvRing.Tests.Harness;

/// <summary>
/// The contention harness's <c>matrix --smoke</c> (tiny counts, one repetition) runs end to end and writes every output:
/// the Markdown table with every section, one CSV row per cell, the JSON document and the three plots. It checks the
/// pipeline only; no figure it measures decides anything.
/// </summary>
public sealed class MatrixSmokeTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(5); // a bound on a hang, not a speed test: the full suite runs beside it

    [Fact]
    public void Matrix_Smoke_WritesTableCsvJsonAndPlots()
    {
        string output = Directory.CreateTempSubdirectory("pvring-matrix-smoke-").FullName;
        try
        {
            using ChildProcess matrix = ChildProcess.Start("dotnet", HarnessAssembly(), "matrix", "--smoke", "--out", output);
            if (Environment.ProcessorCount < 2)
            {
                matrix.AssertExit(1, s_timeout);
                Assert.Contains("no pair of CPUs", matrix.Output);
                return;
            }

            matrix.AssertExit(0, s_timeout);
            string markdown = File.ReadAllText(Path.Combine(output, "matrix.md"));
            foreach (string section in new[] { "| goal |", "| baseline |", "| workload |", "| size | grant mode |", "| wait | p50 us |", "Hardware counters:", "Placements:" })
            {
                Assert.Contains(section, markdown);
            }

            foreach (string baseline in new[] { "C cache-line ping-pong", "C ring on Xen ring.h, one outstanding", "C ring on Xen ring.h, streaming", "C SPSC byte ring", "C memcpy", ".NET Unix domain socket" })
            {
                Assert.Contains(baseline, markdown);
            }

            string[] csv = File.ReadAllLines(Path.Combine(output, "matrix.csv"));
            Assert.StartsWith("placement,", csv[0]);
            Assert.True(csv.Length > 20, $"only {csv.Length - 1} CSV rows");

            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "matrix.json")));
            JsonElement cells = json.RootElement.GetProperty("Runs")[0].GetProperty("Cells");
            Assert.True(cells.GetArrayLength() > 10, $"only {cells.GetArrayLength()} cells in the JSON");

            foreach (string plot in new[] { "matrix-items.png", "matrix-latency.png", "matrix-grant-modes.png" })
            {
                Assert.True(new FileInfo(Path.Combine(output, plot)).Length > 1000, $"{plot} is missing or empty");
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>The harness built next to this test assembly's configuration (the test project builds it first).</summary>
    internal static string HarnessAssembly()
    {
        // AppContext.BaseDirectory is tests/PvRing.Tests/bin/<configuration>/<framework>/.
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = framework.Parent!.Name;
        string root = Path.GetDirectoryName(NativeTools.SourceDirectory)!; // tests/
        string dll = Path.Combine(Path.GetDirectoryName(root)!, "benchmarks", "PvRing.Harness", "bin", configuration, framework.Name, "PvRing.Harness.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first.");
        return dll;
    }
}
