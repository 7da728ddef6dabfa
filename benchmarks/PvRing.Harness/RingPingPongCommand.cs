// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Memory;
using PvRing.Platform;

namespace PvRing.Harness;

/// <summary>
/// <c>ringpingpong [--rounds N] [--reps R]</c>: one request outstanding at a time <b>through a ring</b> between this
/// process (the front) and a copy of itself (<c>ringpingpong-peer</c>, the back), pinned to two CPUs: the three modes of
/// <see cref="RingRoundTripSession"/> (ring with spin-then-block, ring with busy-spin, Unix domain socket), alternated
/// within each repetition, with the cache-line regime probe before and after. Reports median and p99 round trip
/// (HdrHistogram), notifications per request, the idle CPU of a waiting back, and the ratios measured within each
/// repetition. The matrix's wait-strategy cells run the same session.
/// </summary>
internal sealed class RingPingPongCommand : IHarnessCommand
{
    public string Name => "ringpingpong";

    public string Summary => "ring ping-pong (spin-then-block, busy-spin) vs Unix socket round trip between two pinned processes";

    public int Run(string[] args) => Run("ringpingpong", [0, 1, 2], args);

    /// <summary>
    /// Runs <paramref name="modes"/> (spin-then-block, busy-spin, socket: <see cref="RingRoundTripSession.Modes"/> indices)
    /// alternated in each repetition, and reports them with the ratios first/third, first/second and (p99) first/third.
    /// </summary>
    internal static int Run(string name, int[] modes, string[] args)
    {
        var options = new HarnessOptions(args, "--rounds", "--reps");
        int rounds = (int)options.Int("--rounds", 20_000, 100, 100_000_000);
        int reps = (int)options.Int("--reps", 5, 1, 1000);
        CpuTopology topology = CpuTopology.Load();
        CpuPlacement placement = topology.FindPair(CpuPairKind.SameSocket) is { IsAvailable: true } same ? same : topology.FindPair(CpuPairKind.SmtSibling);
        Console.WriteLine($"machine: {topology}");
        Console.WriteLine($"placement: {placement}");
        if (!placement.IsAvailable)
        {
            Console.Error.WriteLine($"{name} needs two CPUs.");
            return 1;
        }

        string hostPath = Path.Combine("/dev/shm", $"pvring-{name}-{Environment.ProcessId}");
        var host = new HostDirectory(hostPath);
        IReadOnlyList<int> affinity = CpuAffinity.GetCurrentThreadAffinity();
        try
        {
            double probeBefore = RegimeProbe.Measure(placement.First, placement.Second);
            CpuAffinity.PinCurrentThread(placement.First);
            Measure(host, placement, rounds, reps, modes);
            double probeAfter = RegimeProbe.Measure(placement.First, placement.Second);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"regime probe (cache-line round trip): before {probeBefore:F0} ns, after {probeAfter:F0} ns ({RegimeProbe.Regime(probeBefore, probeAfter)})"));
            return 0;
        }
        finally
        {
            CpuAffinity.PinCurrentThread([.. affinity]);
            Directory.Delete(hostPath, recursive: true);
        }
    }

    private static void Measure(HostDirectory host, CpuPlacement placement, int rounds, int reps, int[] modes)
    {
        using var session = new RingRoundTripSession(host, placement.Second, rounds, reps, modes);
        var medians = new double[modes.Length][];
        var p99s = new double[modes.Length][];
        var notifications = new double[modes.Length][];
        var syscalls = new double[modes.Length][];
        for (int m = 0; m < modes.Length; m++)
        {
            medians[m] = new double[reps];
            p99s[m] = new double[reps];
            notifications[m] = new double[reps];
            syscalls[m] = new double[reps];
        }

        var histogram = new LatencyHistogram();
        for (int rep = -1; rep < reps; rep++)
        {
            // Repetition -1 is the warm-up (tiered JIT, page faults) and is not reported.
            for (int m = 0; m < modes.Length; m++)
            {
                histogram.Reset();
                RoundTripCounts counts = session.Measure(modes[m], histogram);
                if (rep >= 0)
                {
                    medians[m][rep] = histogram.P50;
                    p99s[m][rep] = histogram.P99;
                    notifications[m][rep] = counts.NotificationsPerMessage;
                    syscalls[m][rep] = counts.SystemCallsPerMessage;
                }
            }
        }

        double[] idle = [.. modes.Select(m => session.IdleCpu(m, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)))];
        string peerCounters = session.Finish();
        Console.WriteLine($"{rounds} round trips x {reps} repetitions per mode, modes alternated within each repetition");
        Console.WriteLine($"{"mode",-22} {"median us",10} {"p99 us",10} {"front notify/msg",17} {"syscalls/msg",13} {"back idle CPU",14}");
        for (int m = 0; m < modes.Length; m++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{RingRoundTripSession.Modes[modes[m]],-22} {Measurement.Median(medians[m]),10:F3} {Measurement.Median(p99s[m]),10:F3} " +
                $"{Measurement.Median(notifications[m]),17:F4} {Measurement.Median(syscalls[m]),13:F4} {idle[m],13:P1}"));
        }

        if (modes.Length == 3)
        {
            Console.WriteLine(Measurement.RatioLine("spin-then-block / unix-socket (median)", medians[0], medians[2]));
            Console.WriteLine(Measurement.RatioLine("spin-then-block / busy-spin (median)", medians[0], medians[1]));
            Console.WriteLine(Measurement.RatioLine("spin-then-block / unix-socket (p99)", p99s[0], p99s[2]));
        }

        Console.WriteLine($"front channel counters: {session.FrontCounters}");
        Console.WriteLine($"back: {peerCounters}");
    }
}
