// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Harness;

/// <summary>
/// <c>ringworkloads</c>: each ring variant against the classic ring in each <see cref="RingWorkload"/>, twice: at equal
/// ring bytes (same order) and at equal slot counts (the variant at the smallest order that gives it at least the
/// classic's slots), so that a ratio separates the layout's cache-line effect from a smaller batch. netif TX slots
/// throughout (12-byte requests: two of every sixteen classic slots straddle a line). The front runs here on the front
/// CPU, the back in <c>ringworkloads-peer</c> on the back CPU, both busy-polling. Every (workload, comparison, variant)
/// is four adjacent runs, ABBA, with the regime probe before and after; the report gives the median ratio to classic
/// per item and workload, and the counts that explain it: cache lines a request's slots span (from the layout), the
/// index lines, and the measured entries per publication of each end.
/// </summary>
/// <remarks>Hardware counters (<c>perf stat</c>) are not available on the 2-vCPU VM this was written on; the counts are software ones.</remarks>
internal sealed class RingWorkloadsCommand : IHarnessCommand
{
    private const int BurstMinimumOrder = 2;


    public string Name => "ringworkloads";

    public string Summary => "each ring variant vs classic in each workload, at equal bytes and equal slots, ABBA: ratios and line counts";

    public int Run(string[] args)
    {
        var options = new HarnessOptions(args, "--order", "--count", "--warmup", "--repeat", "--cpus", "--out", "--workloads", "--variants", "--comparisons");
        int order = (int)options.Int("--order", 0, 0, SharedRingLayout.MaxOrder - 2);
        long count = options.Int("--count", 2_000_000, 1000, long.MaxValue / 4);
        long warmup = options.Int("--warmup", 200_000, 0, long.MaxValue / 4);
        int repeat = (int)options.Int("--repeat", 3, 1, 1000);
        (int front, int back) = options.CpuPair();
        string outDirectory = options.String("--out", Repository.ResultsDirectory);
        string[] names = options.String("--workloads", string.Join(',', RingWorkload.All.Select(w => w.Name))).Split(',');
        RingWorkload[] workloads = [.. names.Select(n => RingWorkload.All.SingleOrDefault(w => w.Name == n) ?? throw new ArgumentException($"unknown workload '{n}'"))];

        // Each variant is a set of item letters: B (split indexes), C (aligned slots), I (split rings); BI is both B and I.
        RingFeatures[] variants = [.. options.String("--variants", "B,C,I,BCI").Split(',').Select(ParseVariant)];

        // "bytes": at the classic's order; "slots": at the order that gives the variant the classic's slot count.
        bool[] comparisons = [.. options.String("--comparisons", "bytes,slots").Split(',').Select(c => c switch
        {
            "bytes" => false,
            "slots" => true,
            _ => throw new ArgumentException($"--comparisons is bytes, slots or both, not '{c}'"),
        })];

        // The schedule: per repetition, workload, comparison and variant four runs, ABBA, mirrored in odd repetitions.
        var cells = new List<Cell>();
        var runs = new List<RingRun>();
        for (int rep = 0; rep < repeat; rep++)
        {
            foreach (RingWorkload workload in workloads)
            {
                int classicOrder = workload.Name == "burst" ? Math.Max(order, BurstMinimumOrder) : order;
                foreach (bool equalSlots in comparisons)
                {
                    foreach (RingFeatures features in variants)
                    {
                        var classic = RingVariant.Classic(classicOrder);
                        RingVariant variant = equalSlots ? EqualSlots(features, classicOrder) : new RingVariant(features, classicOrder);
                        bool classicFirst = rep % 2 == 0;
                        var cell = new Cell(rep, workload, equalSlots, features, classic, variant, runs.Count, classicFirst);
                        cells.Add(cell);
                        foreach (bool isClassic in classicFirst ? new[] { true, false, false, true } : new[] { false, true, true, false })
                        {
                            runs.Add(new RingRun(isClassic ? classic : variant, workload, (count + warmup) / workload.CountDivisor, warmup / workload.CountDivisor));
                        }
                    }
                }
            }
        }

        Console.WriteLine(
            $"ringworkloads: order {order} (burst {Math.Max(order, BurstMinimumOrder)}), {count:N0} requests per run (divided per workload) after {warmup:N0} warm-up, " +
            $"CPUs {front}/{back}, {repeat} reps x {workloads.Length} workloads x {comparisons.Length} comparisons x {variants.Length} variants x 4 runs = {runs.Count} runs");
        using (var session = new RingScheduleSession(runs, front, back))
        {
            foreach (Cell cell in cells)
            {
                cell.ProbeBefore = RegimeProbe.Measure(front, back);
                for (int i = 0; i < 4; i++)
                {
                    session.Run(cell.FirstRun + i);
                }

                cell.ProbeAfter = RegimeProbe.Measure(front, back);
                cell.Fill(runs);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  rep {cell.Rep + 1} {cell.Workload.Name,-8} {(cell.EqualSlots ? "slots" : "bytes"),-5} {ItemName(cell.Features),-12} order {cell.Variant.Order}: " +
                    $"ratio {cell.Ratio:0.000} (classic {cell.ClassicRate:N0}, variant {cell.VariantRate:N0} req/s), probe {cell.ProbeBefore:0}/{cell.ProbeAfter:0} ns ({cell.Regime})"));
            }

            session.Finish();
        }

        foreach (Cell cell in cells)
        {
            cell.Fill(runs);
        }

        string table = Report(cells, workloads, variants, comparisons, order, count, warmup, front, back);
        Console.WriteLine();
        Console.WriteLine(table);
        Directory.CreateDirectory(outDirectory);
        string stem = Path.Combine(outDirectory, $"ringworkloads-order{order}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        File.WriteAllText(stem + ".md", table);
        File.WriteAllLines(stem + ".csv", cells.Select(c => c.Csv()).Prepend(Cell.CsvHeader));
        Console.WriteLine($"written: {stem}.md, {stem}.csv");
        return 0;
    }

    /// <summary>The smallest order at which <paramref name="features"/> has at least the classic ring's slots.</summary>
    internal static RingVariant EqualSlots(RingFeatures features, int classicOrder)
    {
        int classicSlots = RingVariantLayout.SlotCount<NetifTxRequest, NetifTxResponse>(RingVariant.Classic(classicOrder));
        for (int o = classicOrder; ; o++)
        {
            var variant = new RingVariant(features, o);
            if (o == SharedRingLayout.MaxOrder || RingVariantLayout.SlotCount<NetifTxRequest, NetifTxResponse>(variant) >= classicSlots)
            {
                return variant;
            }
        }
    }

    internal static string ItemName(RingFeatures features) => features switch
    {
        RingFeatures.None => "classic",
        RingFeatures.SplitIndexes => "B split-idx",
        RingFeatures.AlignedSlots => "C aligned",
        RingFeatures.SplitRings => "I split-rings",
        _ => string.Join('+', new[] { (RingFeatures.SplitIndexes, "B"), (RingFeatures.AlignedSlots, "C"), (RingFeatures.SplitRings, "I") }
            .Where(item => (features & item.Item1) != 0).Select(item => item.Item2)),
    };

    internal static RingFeatures ParseVariant(string letters)
    {
        RingFeatures features = RingFeatures.None;
        foreach (char letter in letters.Trim())
        {
            features |= char.ToUpperInvariant(letter) switch
            {
                'B' => RingFeatures.SplitIndexes,
                'C' => RingFeatures.AlignedSlots,
                'I' => RingFeatures.SplitRings,
                _ => throw new ArgumentException($"unknown ring item '{letter}' in --variants (B, C, I)"),
            };
        }

        return features == RingFeatures.None ? throw new ArgumentException("--variants: an empty variant") : features;
    }

    /// <summary>
    /// Average 64-byte lines one request's slot (and, with split rings, its response's slot) spans, over a lap of the ring.
    /// Every slot array starts on a line boundary (docs/ring-variants.md), so the strides and sizes decide it.
    /// </summary>
    private static double SlotLinesPerRequest(RingVariant variant)
    {
        int count = RingVariantLayout.SlotCount<NetifTxRequest, NetifTxResponse>(variant);
        double lines = Lines(RingVariantLayout.SlotStride<NetifTxRequest, NetifTxResponse>(variant), Unsafe.SizeOf<NetifTxRequest>(), count);
        return variant.SplitRings
            ? lines + Lines(RingVariantLayout.ResponseSlotStride<NetifTxRequest, NetifTxResponse>(variant), Unsafe.SizeOf<NetifTxResponse>(), count)
            : lines;

        static double Lines(int stride, int size, int count)
        {
            long total = 0;
            for (long i = 0; i < count; i++)
            {
                long first = i * stride;
                total += ((first + size - 1) / 64) - (first / 64) + 1;
            }

            return (double)total / count;
        }
    }

    /// <summary>
    /// 64-byte lines per request when streaming: a lap of the ring moves each line of its slot arrays once, so this is
    /// the request stride (plus the response stride with split rings) over 64.
    /// </summary>
    private static double StreamingLinesPerRequest(RingVariant variant) =>
        (RingVariantLayout.SlotStride<NetifTxRequest, NetifTxResponse>(variant)
         + (variant.SplitRings ? RingVariantLayout.ResponseSlotStride<NetifTxRequest, NetifTxResponse>(variant) : 0)) / 64.0;

    /// <summary>The lines holding the four shared indices: one (both producers write it) unless the indexes are split.</summary>
    private static int IndexLines(RingVariant variant) => variant.SplitIndexes ? 2 : 1;

    private static string Report(List<Cell> cells, RingWorkload[] workloads, RingFeatures[] variants, bool[] comparisons, int order, long count, long warmup, int front, int back)
    {
        var text = new StringBuilder();
        int repeat = cells.Max(c => c.Rep) + 1;
        text.AppendLine(CultureInfo.InvariantCulture,
            $"### ringworkloads: order {order} (burst {Math.Max(order, BurstMinimumOrder)}), {count:N0} requests/run (divided per workload), {warmup:N0} warm-up, CPUs {front}/{back}, {repeat} reps, {DateTime.UtcNow:u}");
        text.AppendLine();
        text.AppendLine("Median ratio variant / classic over the reps (min..max), regimes of the reps (near/far/other):");
        text.AppendLine();
        foreach (bool equalSlots in comparisons)
        {
            text.AppendLine(equalSlots ? "**Equal slot counts** (variant at the smallest order with at least the classic's slots)" : "**Equal ring bytes** (same order)");
            text.AppendLine();
            text.AppendLine($"| workload | classic req/s | {string.Join(" | ", variants.Select(ItemName))} |");
            text.AppendLine($"|---|---:|{string.Concat(variants.Select(_ => "---:|"))}");
            foreach (RingWorkload workload in workloads)
            {
                Cell[] row = [.. cells.Where(c => c.Workload == workload && c.EqualSlots == equalSlots)];
                string ratios = string.Join(" | ", variants.Select(f =>
                {
                    Cell[] reps = [.. row.Where(c => c.Features == f)];
                    double[] r = [.. reps.Select(c => c.Ratio)];
                    return string.Create(CultureInfo.InvariantCulture,
                        $"{Measurement.Median(r):0.00} ({r.Min():0.00}..{r.Max():0.00}; {reps.Count(c => c.Regime == "near")}/{reps.Count(c => c.Regime == "far")}/{reps.Count(c => c.Regime is not ("near" or "far"))})");
                }));
                text.AppendLine(CultureInfo.InvariantCulture, $"| {workload.Name} | {Measurement.Median([.. row.Select(c => c.ClassicRate)]):N0} | {ratios} |");
            }

            text.AppendLine();
        }

        text.AppendLine("Counts that explain the ratios, from the layout (slots, lines a request's slots span, lines holding the indices) and measured");
        text.AppendLine("(entries per publication of front and back, median over the reps). Index-line transfers per request ~ 1/front + 1/back;");
        text.AppendLine("with one index line both producers write the same line, with two each writes its own. Hardware counters: not available on this VM.");
        text.AppendLine();
        text.AppendLine("| workload | variant | order | slots | lines a request's slots span | slot lines/request streaming | index lines | front entries/publication | back entries/publication |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (RingWorkload workload in workloads)
        {
            foreach (bool equalSlots in comparisons)
            {
                foreach (RingFeatures f in equalSlots ? variants : [RingFeatures.None, .. variants])
                {
                    Cell[] reps = [.. cells.Where(c => c.Workload == workload && c.EqualSlots == equalSlots && c.Features == (f == RingFeatures.None ? variants[0] : f))];
                    RingVariant variant = f == RingFeatures.None ? reps[0].Classic : reps[0].Variant;
                    double frontBatch = Measurement.Median([.. reps.Select(c => f == RingFeatures.None ? c.ClassicFrontBatch : c.VariantFrontBatch)]);
                    double backBatch = Measurement.Median([.. reps.Select(c => f == RingFeatures.None ? c.ClassicBackBatch : c.VariantBackBatch)]);
                    text.AppendLine(CultureInfo.InvariantCulture,
                        $"| {workload.Name} | {ItemName(f)}{(equalSlots ? " (equal slots)" : string.Empty)} | {variant.Order} | {RingVariantLayout.SlotCount<NetifTxRequest, NetifTxResponse>(variant)} | " +
                        $"{SlotLinesPerRequest(variant):0.000} | {StreamingLinesPerRequest(variant):0.000} | {IndexLines(variant)} | {frontBatch:0.0} | {backBatch:0.0} |");
                }
            }
        }

        return text.ToString();
    }

    /// <summary>Four adjacent runs (ABBA) of one repetition, workload, comparison and variant.</summary>
    private sealed class Cell(int rep, RingWorkload workload, bool equalSlots, RingFeatures features, RingVariant classic, RingVariant variant, int firstRun, bool classicFirst)
    {
        public const string CsvHeader =
            "rep,workload,comparison,variant,classic_order,variant_order,classic_requests_per_second,variant_requests_per_second,ratio,probe_before_ns,probe_after_ns,regime," +
            "classic_front_batch,variant_front_batch,classic_back_batch,variant_back_batch";

        public int Rep { get; } = rep;

        public RingWorkload Workload { get; } = workload;

        public bool EqualSlots { get; } = equalSlots;

        public RingFeatures Features { get; } = features;

        public RingVariant Classic { get; } = classic;

        public RingVariant Variant { get; } = variant;

        public int FirstRun { get; } = firstRun;

        public double ProbeBefore { get; set; }

        public double ProbeAfter { get; set; }

        public double ClassicRate { get; private set; }

        public double VariantRate { get; private set; }

        public double ClassicFrontBatch { get; private set; }

        public double VariantFrontBatch { get; private set; }

        public double ClassicBackBatch { get; private set; }

        public double VariantBackBatch { get; private set; }

        public double Ratio => VariantRate / ClassicRate;

        public string Regime => RegimeProbe.Regime(ProbeBefore, ProbeAfter);

        /// <summary>Takes the means of the two classic and the two variant runs.</summary>
        public void Fill(List<RingRun> runs)
        {
            RingRun[] four = [.. runs.Skip(FirstRun).Take(4)];
            RingRun[] classic = classicFirst ? [four[0], four[3]] : [four[1], four[2]];
            RingRun[] variant = classicFirst ? [four[1], four[2]] : [four[0], four[3]];
            ClassicRate = classic.Average(r => r.Rate);
            VariantRate = variant.Average(r => r.Rate);
            ClassicFrontBatch = classic.Average(r => r.FrontBatch);
            VariantFrontBatch = variant.Average(r => r.FrontBatch);
            ClassicBackBatch = classic.Average(r => r.BackBatch);
            VariantBackBatch = variant.Average(r => r.BackBatch);
        }

        public string Csv() => string.Create(CultureInfo.InvariantCulture,
            $"{Rep + 1},{Workload.Name},{(EqualSlots ? "slots" : "bytes")},{Features.ToString().Replace(", ", "+", StringComparison.Ordinal)},{Classic.Order},{Variant.Order}," +
            $"{ClassicRate:0},{VariantRate:0},{Ratio:0.0000},{ProbeBefore:0.0},{ProbeAfter:0.0},{Regime},{ClassicFrontBatch:0.00},{VariantFrontBatch:0.00},{ClassicBackBatch:0.00},{VariantBackBatch:0.00}");
    }
}
