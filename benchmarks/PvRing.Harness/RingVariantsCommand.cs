// Licensed under the MIT License. See LICENSE in the repository root.

using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using PvRing.Memory;
using PvRing.Platform;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Tx;

namespace PvRing.Harness;

/// <summary>
/// <c>ringvariants</c>: requests/s of each single ring variant (<see cref="RingFeatures.SplitIndexes"/>,
/// <see cref="RingFeatures.AlignedSlots"/>, <see cref="RingFeatures.SplitRings"/>) and of all of them combined,
/// each against the classic ring of the same order, netif TX slots. The front runs in this process on the front
/// CPU, the back in a copy of it (<c>ringvariants-peer</c>) pinned to the back CPU; both busy-poll with the batch
/// policy of PvRing.Tx/PvRing.Rx. Each repetition measures every variant in four adjacent runs with the classic ring,
/// ABBA (classic, variant, variant, classic; the mirror image in the next repetition), with the cache-line regime
/// probe before and after the four; the report gives per variant the median requests/s and the median (and range)
/// of the per-repetition ratio variant/classic, and the slots per ring.
/// </summary>
internal sealed class RingVariantsCommand : IHarnessCommand
{
    private const double NearRegimeNanoseconds = 200;

    private const string CsvHeader =
        "rep,variant,slots,classic_slots,runs,classic1_requests_per_second,variant1_requests_per_second,variant2_requests_per_second," +
        "classic2_requests_per_second,ratio,probe_before_ns,probe_after_ns,regime";

    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);

    private static readonly RingFeatures[] s_variants =
        [RingFeatures.SplitIndexes, RingFeatures.AlignedSlots, RingFeatures.SplitRings, RingFeatures.All];

    public string Name => "ringvariants";

    public string Summary => "each ring variant vs the classic ring, pinned, busy-polled, alternated: requests/s and ratio";

    /// <summary>The ring file of the <paramref name="run"/>-th run of the schedule (the peer attaches to the same names).</summary>
    internal static string RunName(int run) => string.Create(CultureInfo.InvariantCulture, $"run{run}");

    public int Run(string[] args)
    {
        var options = new HarnessOptions(args, "--order", "--count", "--warmup", "--repeat", "--cpus", "--out");
        int order = (int)options.Int("--order", 0, 0, SharedRingLayout.MaxOrder);
        long count = options.Int("--count", 20_000_000, 1000, long.MaxValue / 4);
        long warmup = options.Int("--warmup", 2_000_000, 0, long.MaxValue / 4);
        int repeat = (int)options.Int("--repeat", 5, 1, 1000);
        (int front, int back) = options.CpuPair();
        string outDirectory = options.String("--out", Repository.ResultsDirectory);

        List<RingFeatures> schedule = Schedule(repeat);
        string hostPath = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"pvring-ringvariants-{Environment.ProcessId}");
        var host = new HostDirectory(hostPath); // created 0700, as RingFile requires
        Console.WriteLine(
            $"ringvariants: order {order}, {count:N0} requests per run after {warmup:N0} warm-up, front on CPU {front}, back on CPU {back}, " +
            $"{repeat} repetitions of {s_variants.Length} x 4 runs (ABBA)");

        var quads = new Quad[repeat, s_variants.Length];
        int classicSlots = 0;
        var slots = new int[s_variants.Length];
        Process peer = PeerProcess.Start(back, "ringvariants-peer", hostPath,
            order.ToString(CultureInfo.InvariantCulture), (count + warmup).ToString(CultureInfo.InvariantCulture),
            string.Join(',', schedule.Select(f => ((int)f).ToString(CultureInfo.InvariantCulture))));
        IReadOnlyList<int> affinity = CpuAffinity.GetCurrentThreadAffinity();
        CpuAffinity.PinCurrentThread(front);
        try
        {
            int run = 0;
            Span<double> classic = stackalloc double[2];
            Span<double> variant = stackalloc double[2];
            for (int rep = 0; rep < repeat; rep++)
            {
                for (int q = 0; q < s_variants.Length; q++)
                {
                    double probeBefore = Probe(front, back);
                    bool classicFirst = schedule[run] == RingFeatures.None;
                    int v = 0;
                    int c = 0;
                    int w = 0;
                    for (int i = 0; i < 4; i++, run++)
                    {
                        RingFeatures features = schedule[run];
                        double rate = RunFront(host, RunName(run), new RingVariant(features, order, RingSlotKind.Network), count, warmup, out int size);
                        if (features == RingFeatures.None)
                        {
                            classic[c++] = rate;
                            classicSlots = size;
                        }
                        else
                        {
                            v = Array.IndexOf(s_variants, features);
                            variant[w++] = rate;
                            slots[v] = size;
                        }
                    }

                    double probeAfter = Probe(front, back);
                    Quad quad = quads[rep, v] = new Quad(classicFirst, classic[0], variant[0], variant[1], classic[1], probeBefore, probeAfter);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  rep {rep + 1} {VariantName(s_variants[v]),-12} {quad.Order}: classic {quad.Classic1:N0} / {quad.Classic2:N0} req/s, " +
                        $"variant {quad.Variant1:N0} / {quad.Variant2:N0} req/s, ratio {quad.Ratio:0.000}, probe {probeBefore:0} / {probeAfter:0} ns ({quad.Regime})"));
                }
            }
        }
        catch
        {
            Measurement.Abandon(peer, "ringvariants-peer");
            Directory.Delete(hostPath, recursive: true);
            throw;
        }
        finally
        {
            CpuAffinity.PinCurrentThread([.. affinity]);
        }

        try
        {
            Measurement.Finish(peer, "ringvariants-peer");
        }
        finally
        {
            peer.Dispose();
            Directory.Delete(hostPath, recursive: true);
        }

        string table = Report(quads, classicSlots, slots, order, count, warmup, front, back);
        Console.WriteLine();
        Console.WriteLine(table);
        Directory.CreateDirectory(outDirectory);
        string stem = Path.Combine(outDirectory, $"ringvariants-order{order}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        File.WriteAllText(stem + ".md", table);
        File.WriteAllLines(stem + ".csv", Csv(quads, classicSlots, slots).Prepend(CsvHeader));
        Console.WriteLine($"written: {stem}.md, {stem}.csv");
        return 0;
    }

    /// <summary>
    /// The runs in order: every repetition measures each variant in four adjacent runs, ABBA. Odd repetitions (1, 3, ...)
    /// take the variants in order as classic, variant, variant, classic; even ones take them in reverse as variant,
    /// classic, classic, variant, so that two repetitions mirror each other.
    /// </summary>
    private static List<RingFeatures> Schedule(int repeat)
    {
        var schedule = new List<RingFeatures>();
        for (int rep = 0; rep < repeat; rep++)
        {
            bool forward = rep % 2 == 0;
            for (int i = 0; i < s_variants.Length; i++)
            {
                RingFeatures variant = s_variants[forward ? i : s_variants.Length - 1 - i];
                RingFeatures a = forward ? RingFeatures.None : variant;
                RingFeatures b = forward ? variant : RingFeatures.None;
                schedule.AddRange([a, b, b, a]);
            }
        }

        return schedule;
    }

    /// <summary>One run: creates the ring file, exchanges the warm-up and the timed requests, and returns the timed requests/s.</summary>
    private static double RunFront(HostDirectory host, string name, RingVariant variant, long count, long warmup, out int slots)
    {
        using FrontRing<NetifTxRequest, NetifTxResponse> ring = RingFile.Create<NetifTxRequest, NetifTxResponse>(host, name, variant);
        try
        {
            slots = ring.Size;
            (long timed, long ticks) = Exchange(ring, count + warmup, warmup);
            return timed * (double)Stopwatch.Frequency / ticks;
        }
        finally
        {
            host.Delete(name);
        }
    }

    /// <summary>
    /// The front's batch policy (as PvRing.Tx's): fill every free slot (up to what remains) in one batch scope, publish
    /// once, then consume every response published, checking that response n carries id n mod 2^16 and OKAY. The
    /// clock starts once <paramref name="warmup"/> responses are back; returns the responses timed and the ticks taken.
    /// </summary>
    // Fully optimised from the first run, so that every run of the schedule executes the same machine code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (long Timed, long Ticks) Exchange(FrontRing<NetifTxRequest, NetifTxResponse> ring, long total, long warmup)
    {
        var checker = default(ResponseChecker);
        var poll = new BusyPoll(s_limit);
        long sent = 0;
        long received = 0;
        long timedFrom = 0;
        long start = Stopwatch.GetTimestamp();
        bool timing = warmup == 0;
        while (received < total)
        {
            if (!timing && received >= warmup)
            {
                timing = true;
                timedFrom = received;
                start = Stopwatch.GetTimestamp();
            }

            int room = (int)Math.Min(ring.FreeRequests, total - sent);
            if (room > 0)
            {
                // PvRing.Tx's fill loop, out of line (inlined here the JIT kept the loop's locals on the stack).
                RequestFill.Fill(ring, room, (ulong)sent);
                sent += room;
            }

            int answered = ring.ConsumeResponses(ref checker, int.MaxValue);
            if (checker.Wrong is NetifTxResponse wrong)
            {
                ThrowWrongResponse(checker.Received, wrong);
            }

            received = checker.Received;
            if (room > 0 || answered != 0)
            {
                poll.Progress();
            }
            else
            {
                poll.Idle("responses");
            }
        }

        return (received - timedFrom, Stopwatch.GetTimestamp() - start);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowWrongResponse(long sequence, NetifTxResponse response) =>
        throw new InvalidOperationException(
            $"Response {sequence} is wrong: id={response.Id}, status={response.Status}; expected id={(ushort)sequence}, status={NetifStatus.Okay}.");

    private static double Probe(int front, int back)
    {
        try
        {
            return NativePeer.ProbeRoundTripNanoseconds(front, back);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            Console.Error.WriteLine($"regime probe unavailable: {e.Message}");
            return double.NaN;
        }
    }

    /// <summary>Both probes in one regime, or "mixed" when the host moved the vCPUs during the four runs.</summary>
    private static string Regime(double before, double after) => (double.IsNaN(before) || double.IsNaN(after))
        ? "unknown"
        : (before < NearRegimeNanoseconds, after < NearRegimeNanoseconds) switch
        {
            (true, true) => "near",
            (false, false) => "far",
            _ => "mixed",
        };

    private static string VariantName(RingFeatures features) => features == RingFeatures.None ? "classic" : features.ToString();

    private static string Report(Quad[,] quads, int classicSlots, int[] slots, int order, long count, long warmup, int front, int back)
    {
        int repeat = quads.GetLength(0);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"### ringvariants: order {order}, {count:N0} requests/run after {warmup:N0} warm-up, CPUs {front}/{back}, {repeat} reps, {DateTime.UtcNow:u}");
        text.AppendLine();
        text.AppendLine("| variant | slots | median req/s | median variant / classic | min..max | reps near/far/other |");
        text.AppendLine("|---|---:|---:|---:|---:|---|");
        double[] classicRates = [.. quads.Cast<Quad>().Select(q => q.Classic)];
        text.AppendLine(CultureInfo.InvariantCulture, $"| classic | {classicSlots} | {Measurement.Median(classicRates):N0} | 1 | (reference) | |");
        for (int v = 0; v < s_variants.Length; v++)
        {
            Quad[] row = [.. Enumerable.Range(0, repeat).Select(rep => quads[rep, v])];
            double[] ratios = [.. row.Select(q => q.Ratio)];
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {VariantName(s_variants[v])} | {slots[v]} | {Measurement.Median([.. row.Select(q => q.Variant)]):N0} | {Measurement.Median(ratios):0.000} | " +
                $"{ratios.Min():0.000}..{ratios.Max():0.000} | {row.Count(q => q.Regime == "near")}/{row.Count(q => q.Regime == "far")}/{row.Count(q => q.Regime is not ("near" or "far"))} |");
        }

        text.AppendLine();
        text.AppendLine("Per repetition: variant / classic over the four adjacent runs (regime from the probes before and after them).");
        text.AppendLine();
        text.AppendLine($"| rep | runs | classic req/s (median) | {string.Join(" | ", s_variants.Select(VariantName))} |");
        text.AppendLine($"|---:|---|---:|{string.Concat(s_variants.Select(_ => "---:|"))}");
        for (int rep = 0; rep < repeat; rep++)
        {
            Quad[] row = [.. Enumerable.Range(0, s_variants.Length).Select(v => quads[rep, v])];
            string ratios = string.Join(" | ", row.Select(q => string.Create(CultureInfo.InvariantCulture, $"{q.Ratio:0.000} ({q.Regime})")));
            text.AppendLine(CultureInfo.InvariantCulture, $"| {rep + 1} | {row[0].Order} | {Measurement.Median([.. row.Select(q => q.Classic)]):N0} | {ratios} |");
        }

        return text.ToString();
    }

    private static IEnumerable<string> Csv(Quad[,] quads, int classicSlots, int[] slots)
    {
        for (int rep = 0; rep < quads.GetLength(0); rep++)
        {
            for (int v = 0; v < s_variants.Length; v++)
            {
                Quad q = quads[rep, v];
                yield return string.Create(CultureInfo.InvariantCulture,
                    $"{rep + 1},{VariantName(s_variants[v])},{slots[v]},{classicSlots},{q.Order.Replace(" ", string.Empty, StringComparison.Ordinal)}," +
                    $"{q.Classic1:0},{q.Variant1:0},{q.Variant2:0},{q.Classic2:0},{q.Ratio:0.0000},{q.ProbeBefore:0.0},{q.ProbeAfter:0.0},{q.Regime}");
            }
        }
    }

    /// <summary>
    /// A variant's four adjacent runs in one repetition (classic 1 and 2, variant 1 and 2, each numbered in time order)
    /// and the regime probes before and after them.
    /// </summary>
    private readonly record struct Quad(
        bool ClassicFirst, double Classic1, double Variant1, double Variant2, double Classic2, double ProbeBefore, double ProbeAfter)
    {
        /// <summary>The runs in time order: C V V C or V C C V.</summary>
        public string Order => ClassicFirst ? "C V V C" : "V C C V";

        /// <summary>The classic's requests/s: the mean of its two runs.</summary>
        public double Classic => (Classic1 + Classic2) / 2;

        /// <summary>The variant's requests/s: the mean of its two runs.</summary>
        public double Variant => (Variant1 + Variant2) / 2;

        /// <summary>Variant / classic; the ABBA order cancels most of a drift that is linear over the four runs.</summary>
        public double Ratio => Variant / Classic;

        /// <summary>The regime of the two probes.</summary>
        public string Regime => RingVariantsCommand.Regime(ProbeBefore, ProbeAfter);
    }
}
