// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using PvRing.Platform;

namespace PvRing.Harness.Matrix;

/// <summary>
/// <c>matrix [--quick | --smoke] [--out DIR] [--repeat R] [--placements KINDS]</c>: the contention matrix (docs/benchmarks.md).
/// Starts both processes itself at each placement the machine has (SMT sibling, same socket, other socket, other NUMA
/// node; it says which it could not make), and runs at each the C baselines, classic vs each hackathon item alone vs all
/// items over the ring workloads and orders, the grant modes over the packet sizes, and the wait strategies of a round
/// trip, repeated, with the regime probe around every cell. Writes the Markdown table, CSV, JSON and plots to the
/// results folder.
/// </summary>
internal sealed class MatrixCommand : IHarnessCommand
{
    private static readonly CpuPairKind[] s_crossCpu = [CpuPairKind.SmtSibling, CpuPairKind.SameSocket, CpuPairKind.OtherSocket, CpuPairKind.OtherNumaNode];

    public string Name => "matrix";

    public string Summary => "the contention matrix: every item, workload, message kind, grant mode and wait at every placement, vs C baselines";

    public int Run(string[] args)
    {
        bool smoke = args.Contains("--smoke");
        bool quick = smoke || args.Contains("--quick");
        var options = new HarnessOptions([.. args.Where(a => a is not ("--quick" or "--smoke"))], "--out", "--repeat", "--placements");
        MatrixSettings settings = smoke ? MatrixSettings.SmokeTest() : MatrixSettings.For(quick);
        settings = settings with { Repeat = (int)options.Int("--repeat", settings.Repeat, 1, 100) };
        string outDirectory = options.String("--out", Path.Combine(Repository.ResultsDirectory, $"matrix-{DateTime.UtcNow:yyyyMMdd-HHmmss}"));

        CpuTopology topology = CpuTopology.Load();
        (List<CpuPlacement> placements, string[] placementLines) = Placements(topology, quick, options.String("--placements", string.Empty));
        string hardware = HardwareCounters.Describe();
        string command = "matrix " + string.Join(' ', args);
        Console.WriteLine($"matrix: {topology}");
        foreach (string line in placementLines)
        {
            Console.WriteLine($"  {line}");
        }

        Console.WriteLine($"  hardware counters: {hardware}");
        if (placements.Count == 0)
        {
            Console.Error.WriteLine("matrix: this machine has no pair of CPUs to place the two processes on.");
            return 1;
        }

        DateTime started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var results = placements.Select(p => new MatrixResult(p, MatrixPlan.Build(settings))).ToList();
        int steps = results.Sum(r => MatrixRunner.StepsPerRepetition(r.Cells)) * settings.Repeat;
        MatrixProgress.Run(steps, progress =>
        {
            foreach (MatrixResult result in results)
            {
                var runner = new MatrixRunner(settings, result.Placement, result.Cells, progress);
                for (int rep = 0; rep < settings.Repeat; rep++)
                {
                    runner.RunRepetition(rep);
                }
            }
        });

        var info = new MatrixRunInfo(command, started, clock.Elapsed.TotalSeconds, topology.ToString(), placementLines, hardware, settings);
        Directory.CreateDirectory(outDirectory);
        string markdown = MatrixReport.Markdown(info, results);
        File.WriteAllText(Path.Combine(outDirectory, "matrix.md"), markdown);
        File.WriteAllLines(Path.Combine(outDirectory, "matrix.csv"), MatrixReport.Csv(results));
        File.WriteAllText(Path.Combine(outDirectory, "matrix.json"), MatrixReport.Json(info, results));
        string[] plots = MatrixPlots.Write(outDirectory, results[0]);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"written to {outDirectory}: matrix.md, matrix.csv, matrix.json, {string.Join(", ", plots.Select(Path.GetFileName))} ({clock.Elapsed.TotalSeconds:0} s)"));
        return 0;
    }

    /// <summary>
    /// The placements to run and a line for each kind: measured, not run (and why), or not available here (and why).
    /// Quick runs the first cross-CPU placement the machine has (same socket before SMT sibling); the full matrix every
    /// one; <c>--placements smt,socket,other-socket,numa</c> picks. Both processes on one CPU is never run: the
    /// busy-polling sides never yield, so it would measure the scheduler's time slice.
    /// </summary>
    private static (List<CpuPlacement> Run, string[] Lines) Placements(CpuTopology topology, bool quick, string pick)
    {
        CpuPlacement[] all = [.. s_crossCpu.Select(topology.FindPair)];
        CpuPairKind[] wanted = pick.Length > 0
            ? [.. pick.Split(',').Select(p => p switch
            {
                "smt" => CpuPairKind.SmtSibling,
                "socket" => CpuPairKind.SameSocket,
                "other-socket" => CpuPairKind.OtherSocket,
                "numa" => CpuPairKind.OtherNumaNode,
                _ => throw new ArgumentException($"--placements takes smt, socket, other-socket, numa, not '{p}'"),
            })]
            : quick
                ? [.. all.Where(p => p.IsAvailable).OrderBy(p => p.Kind == CpuPairKind.SameSocket ? 0 : 1).Take(1).Select(p => p.Kind)]
                : [.. all.Where(p => p.IsAvailable).Select(p => p.Kind)];
        var run = new List<CpuPlacement>();
        var lines = new List<string> { "SameCpu: not run (both ends busy-poll and never yield: one CPU would measure the scheduler's time slice, not the cache)" };
        foreach (CpuPlacement p in all)
        {
            if (!p.IsAvailable)
            {
                lines.Add(p.ToString());
            }
            else if (wanted.Contains(p.Kind) && !run.Any(r => r.First == p.First && r.Second == p.Second))
            {
                run.Add(p);
                lines.Add($"{p}: measured");
            }
            else
            {
                lines.Add($"{p}: not run ({(quick ? "--quick runs one placement" : "not asked for, or the same CPUs as one measured")})");
            }
        }

        return (run, [.. lines]);
    }
}
