// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.Text;

namespace PvRing.Harness;

/// <summary>
/// <c>ringpair</c>: the C# Tx/Rx pair against the C front/back pair (Xen's own ring.h), same ring order, same
/// batch policy, each side pinned to its own CPU, run alternately (ABBA) and repeated; reports the ratio of
/// requests/s per repetition with a cache-line ping-pong probe before and after each pair.
/// </summary>
internal sealed class RingPairCommand : IHarnessCommand
{
    private const double NearRegimeNanoseconds = 200;

    public string Name => "ringpair";

    public string Summary => "C# Tx/Rx vs C front/back on Xen's ring.h, pinned, alternated: requests/s and ratio";

    public int Run(string[] args)
    {
        var options = new HarnessOptions(args, "--order", "--count", "--warmup", "--repeat", "--cpus", "--out");
        int order = (int)options.Int("--order", 0, 0, 16);
        long count = options.Int("--count", 50_000_000, 1000, long.MaxValue / 4);
        long warmup = options.Int("--warmup", 5_000_000, 0, long.MaxValue / 4);
        int repeat = (int)options.Int("--repeat", 5, 1, 1000);
        (int front, int back) = options.CpuPair();
        string outDirectory = options.String("--out", Repository.ResultsDirectory);

        string tx = Path.Combine(AppContext.BaseDirectory, "PvRing.Tx.dll");
        string rx = Path.Combine(AppContext.BaseDirectory, "PvRing.Rx.dll");
        string host = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"pvring-harness-{Environment.ProcessId}");
        _ = new PvRing.Memory.HostDirectory(host); // created 0700, as the samples require
        string ring = Path.Combine(host, "ring");
        Console.WriteLine($"ringpair: order {order}, {count:N0} requests per run (C# after {warmup:N0} warm-up), front on CPU {front}, back on CPU {back}, {repeat} repetitions");

        var rows = new List<Row>();
        try
        {
            for (int rep = 1; rep <= repeat; rep++)
            {
                double probeBefore = NativePeer.ProbeRoundTripNanoseconds(front, back);
                double c = 0;
                double managed = 0;
                foreach (bool cFirst in rep % 2 == 1 ? new[] { true, false } : new[] { false, true })
                {
                    if (cFirst)
                    {
                        c = NativePeer.StreamRequestsPerSecond(ring, order, count, front, back);
                    }
                    else
                    {
                        managed = RunManaged(tx, rx, ring, order, count, warmup, front, back);
                    }
                }

                double probeAfter = NativePeer.ProbeRoundTripNanoseconds(front, back);
                var row = new Row(rep, probeBefore, probeAfter, c, managed);
                rows.Add(row);
                Console.WriteLine($"  rep {rep}: probe {probeBefore:0} / {probeAfter:0} ns ({row.Regime}); C {c:N0} req/s; C# {managed:N0} req/s; ratio {row.Ratio:0.00}");
            }
        }
        finally
        {
            Directory.Delete(host, recursive: true);
        }

        string table = Report(rows, order, count, warmup, front, back);
        Console.WriteLine();
        Console.WriteLine(table);
        Directory.CreateDirectory(outDirectory);
        string stem = Path.Combine(outDirectory, $"ringpair-order{order}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        File.WriteAllText(stem + ".md", table);
        File.WriteAllLines(stem + ".csv", rows.Select(r => r.Csv()).Prepend(Row.CsvHeader));
        Console.WriteLine($"written: {stem}.md, {stem}.csv");
        return 0;
    }

    private static double RunManaged(string tx, string rx, string ring, int order, long count, long warmup, int front, int back)
    {
        string total = (count + warmup).ToString(CultureInfo.InvariantCulture);
        var backProcess = Measurement.Start(back, "dotnet", rx, "--attach", ring, "--count", total);
        var frontProcess = Measurement.Start(
            front, "dotnet", tx, "--create", ring, "--order", order.ToString(CultureInfo.InvariantCulture),
            "--count", count.ToString(CultureInfo.InvariantCulture), "--warmup", warmup.ToString(CultureInfo.InvariantCulture));
        string output = Measurement.Finish(frontProcess, "PvRing.Tx");
        Measurement.Finish(backProcess, "PvRing.Rx");
        return Measurement.ResultValue(output, "requests_per_second");
    }

    private static string Report(List<Row> rows, int order, long count, long warmup, int front, int back)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"### ringpair: order {order}, {count:N0} requests/run, C# warm-up {warmup:N0}, CPUs {front}/{back}, {DateTime.UtcNow:u}");
        text.AppendLine();
        text.AppendLine("| rep | probe before (ns) | probe after (ns) | regime | C req/s | C# req/s | C# / C |");
        text.AppendLine("|---:|---:|---:|---|---:|---:|---:|");
        foreach (Row r in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Rep} | {r.ProbeBefore:0} | {r.ProbeAfter:0} | {r.Regime} | {r.C:N0} | {r.Managed:N0} | {r.Ratio:0.00} |");
        }

        text.AppendLine();
        foreach (IGrouping<string, Row> regime in rows.GroupBy(r => r.Regime))
        {
            double[] ratios = regime.Select(r => r.Ratio).ToArray();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"- {regime.Key}: {ratios.Length} reps, median C {Measurement.Median(regime.Select(r => r.C).ToArray()):N0} req/s, " +
                $"median C# {Measurement.Median(regime.Select(r => r.Managed).ToArray()):N0} req/s, " +
                $"median ratio {Measurement.Median(ratios):0.00} (range {ratios.Min():0.00}..{ratios.Max():0.00})");
        }

        double[] all = rows.Select(r => r.Ratio).ToArray();
        text.AppendLine(CultureInfo.InvariantCulture, $"- all reps: median ratio {Measurement.Median(all):0.00} (range {all.Min():0.00}..{all.Max():0.00})");
        return text.ToString();
    }

    private sealed record Row(int Rep, double ProbeBefore, double ProbeAfter, double C, double Managed)
    {
        public const string CsvHeader = "rep,probe_before_ns,probe_after_ns,regime,c_requests_per_second,csharp_requests_per_second,ratio";

        public double Ratio => Managed / C;

        /// <summary>Both probes in one regime, or "mixed" when the host moved the vCPUs during the pair.</summary>
        public string Regime => (ProbeBefore < NearRegimeNanoseconds, ProbeAfter < NearRegimeNanoseconds) switch
        {
            (true, true) => "near",
            (false, false) => "far",
            _ => "mixed",
        };

        public string Csv() => string.Create(CultureInfo.InvariantCulture, $"{Rep},{ProbeBefore:0.0},{ProbeAfter:0.0},{Regime},{C:0},{Managed:0},{Ratio:0.000}");
    }
}
