// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Memory;
using PvRing.Platform;

namespace PvRing.Harness.Matrix;

/// <summary>
/// Runs the cells of one placement, one repetition at a time: the C baselines, the ring cells (one
/// <see cref="RingScheduleSession"/>), the packet cells (one <see cref="PacketsCommand.Measure"/> schedule, sockets
/// first and last in each size's block) and the round-trip cells (one <see cref="RingRoundTripSession"/>), each
/// process pinned to the placement's CPUs. Odd repetitions run the groups, and the cells within them, in the reverse
/// order, so that a drift over a repetition weighs on every cell alike. The regime probe runs between any two cells.
/// </summary>
internal sealed class MatrixRunner(MatrixSettings settings, CpuPlacement placement, IReadOnlyList<MatrixCell> cells, MatrixProgress progress)
{
    private readonly int _a = placement.First;
    private readonly int _b = placement.Second;
    private double _lastProbe = double.NaN;
    private int _slot;

    /// <summary>Steps of one repetition for the progress bar: every cell once, the C baselines five times.</summary>
    public static int StepsPerRepetition(IReadOnlyList<MatrixCell> cells) => cells.Count + (4 * cells.Count(c => c.Baseline is not null));

    /// <summary>The C baselines, then each group of PvRing cells followed by the C baselines again.</summary>
    public void RunRepetition(int rep)
    {
        bool mirror = rep % 2 == 1;
        Action<int, bool>[] groups = [RunRings, RunPackets, RunRoundTrips, RunApplication];
        RunBaselines(rep, mirror);
        foreach (Action<int, bool> group in mirror ? groups.Reverse() : groups)
        {
            group(rep, mirror);
            RunBaselines(rep, !mirror);
        }
    }

    private void Add(MatrixCell cell, MatrixSample sample) => cell.Samples.Add(sample with { Slot = _slot++ });

    private static IEnumerable<T> InOrder<T>(IEnumerable<T> items, bool mirror) => mirror ? items.Reverse() : items;

    private static string HostPath(string what) =>
        Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"pvring-matrix-{what}-{Environment.ProcessId}-{Environment.TickCount64}");

    /// <summary>The probe before a cell is the one after the previous cell; a fresh one at the start.</summary>
    private double ProbeBefore() => double.IsNaN(_lastProbe) ? Probe() : _lastProbe;

    private double Probe() => _lastProbe = RegimeProbe.Measure(_a, _b);

    private void RunBaselines(int rep, bool mirror)
    {
        foreach (MatrixCell cell in InOrder(cells.Where(c => c.Baseline is not null), mirror))
        {
            progress.Begin(rep, placement, cell.Label);
            double before = ProbeBefore();

            // The baseline pins its own threads (the C programs) to the placement's CPUs.
            MatrixSample sample = cell.Baseline!(_a, _b, rep, (before, double.NaN));
            Add(cell, sample with { ProbeAfter = Probe() });
            progress.Advance(1);
        }
    }

    private void RunRings(int rep, bool mirror)
    {
        MatrixCell[] ring = [.. InOrder(cells.Where(c => c.Group == MatrixGroup.Ring), mirror)];
        if (ring.Length == 0)
        {
            return;
        }

        RingRun[] runs = [.. ring.Select(c => new RingRun(
            c.RingVariant!.Value, c.RingWorkload!, (settings.RingCount + settings.RingWarmup) / c.RingWorkload!.CountDivisor, settings.RingWarmup / c.RingWorkload.CountDivisor))];
        using var session = new RingScheduleSession(runs, _a, _b);
        for (int i = 0; i < ring.Length; i++)
        {
            MatrixCell cell = ring[i];
            progress.Begin(rep, placement, cell.Label);
            double before = ProbeBefore();
            session.Run(i);
            (double, double) probe = (before, Probe());
            Add(cell, cell.IsRoundTrip
                ? MatrixSample.MeanRoundTrip(rep, 1e9 / runs[i].Rate, cell.MessageBytes, runs[i].CpuSecondsPerRequest, probe)
                : MatrixSample.Throughput(rep, runs[i].Rate, cell.MessageBytes, runs[i].CpuSecondsPerRequest, probe));
            progress.Advance(1);
        }

        session.Finish();
    }

    private void RunPackets(int rep, bool mirror)
    {
        var blocks = new List<PacketCase[]>();
        var blockCells = new List<MatrixCell[]>();
        foreach (int size in InOrder(settings.PacketSizes, mirror))
        {
            MatrixCell socket = cells.Single(c => c.Packet is { Socket: true } p && p.Size == size);
            MatrixCell[] ring = [.. InOrder(cells.Where(c => c.Group == MatrixGroup.Packet && c.Packet!.Value.Size == size), mirror)];
            blocks.Add([socket.Packet!.Value, .. ring.Select(c => c.Packet!.Value), socket.Packet!.Value]);
            blockCells.Add([socket, .. ring, socket]);
        }

        PacketCase[] schedule = [.. blocks.SelectMany(b => b)];
        var results = new RunResult[schedule.Length];
        var probes = new (double Before, double After)[blocks.Count];
        string hostPath = HostPath("packets");
        var host = new HostDirectory(hostPath);
        progress.Begin(rep, placement, $"packets {blocks[0][0].Size} B (every grant mode)");
        try
        {
            PacketsCommand.Measure(host, schedule, blocks, results, probes, _a, _b, settings.PacketWarmupMs, settings.PacketMs, b =>
            {
                progress.Advance(blockCells[b].Length - 1);
                if (b + 1 < blocks.Count)
                {
                    progress.Begin(rep, placement, $"packets {blocks[b + 1][0].Size} B (every grant mode)");
                }
            });
        }
        finally
        {
            Directory.Delete(hostPath, recursive: true);
        }

        _lastProbe = probes[^1].After;
        int run = 0;
        for (int b = 0; b < blocks.Count; b++)
        {
            RunResult[] block = results[run..(run + blocks[b].Length)];
            run += blocks[b].Length;
            MatrixCell socket = blockCells[b][0];

            // The socket ran first and last in the block: its sample is the mean of the two.
            Add(socket, MatrixSample.Throughput(
                rep, (block[0].PacketsPerSecond + block[^1].PacketsPerSecond) / 2, socket.MessageBytes,
                (block[0].CpuSecondsPerPacket + block[^1].CpuSecondsPerPacket) / 2, probes[b]));
            for (int i = 1; i < block.Length - 1; i++)
            {
                MatrixCell cell = blockCells[b][i];
                Add(cell, MatrixSample.Throughput(rep, block[i].PacketsPerSecond, cell.MessageBytes, block[i].CpuSecondsPerPacket, probes[b]));
            }
        }
    }

    private void RunRoundTrips(int rep, bool mirror)
    {
        MatrixCell[] modes = [.. cells.Where(c => c.RoundTripMode >= 0).OrderBy(c => c.RoundTripMode)];
        if (modes.Length == 0)
        {
            return;
        }

        progress.Begin(rep, placement, "round trips: " + string.Join(", ", InOrder(modes, mirror).Select(c => c.Wait)));
        double before = ProbeBefore();
        string hostPath = HostPath("roundtrip");
        var host = new HostDirectory(hostPath);
        IReadOnlyList<int> affinity = CpuAffinity.GetCurrentThreadAffinity();
        CpuAffinity.PinCurrentThread(_a);
        int[] served = [.. modes.Select(c => c.RoundTripMode)]; // ring spin-then-block, ring busy-spin, socket
        var results = new (LatencyHistogram Histogram, RoundTripCounts Counts, double Idle)[RingRoundTripSession.Modes.Length];
        try
        {
            // The peer serves its modes in a fixed order, so the mirror repetitions do not reverse them.
            using var session = new RingRoundTripSession(host, _b, settings.Rounds, reps: 1, modes: served);
            var warmup = new LatencyHistogram();
            foreach (int m in served)
            {
                session.Measure(m, warmup); // the peer's warm-up repetition (tiered JIT, page faults)
            }

            foreach (int m in served)
            {
                var histogram = new LatencyHistogram();
                results[m] = (histogram, session.Measure(m, histogram), double.NaN);
            }

            foreach (int m in served)
            {
                results[m].Idle = session.IdleCpu(m, TimeSpan.FromMilliseconds(settings.IdleMs / 3), TimeSpan.FromMilliseconds(settings.IdleMs));
            }

            _ = session.Finish();
        }
        finally
        {
            CpuAffinity.PinCurrentThread([.. affinity]);
            Directory.Delete(hostPath, recursive: true);
        }

        double after = Probe();
        foreach (MatrixCell cell in modes)
        {
            (LatencyHistogram histogram, RoundTripCounts counts, double idle) = results[cell.RoundTripMode];
            Add(cell, new MatrixSample(
                rep, 1e6 / histogram.MeanMicroseconds, 1e6 / histogram.MeanMicroseconds * cell.MessageBytes / 1e9, histogram.P50, histogram.P50, histogram.P99, histogram.P999,
                counts.NotificationsPerMessage, counts.SystemCallsPerMessage, counts.CpuSecondsPerMessage, idle, before, after));
            cell.Histogram ??= new LatencyHistogram();
            cell.Histogram.Add(histogram);
        }

        progress.Advance(modes.Length);
    }

    /// <summary>
    /// The application API cells: the peer (<c>apipingpong-peer</c>, <c>apistream-peer</c>) on the second CPU, this side on
    /// the thread pool of a harness run under <c>taskset</c> on the first. CPU time is not counted here (the connection's
    /// threads and the peer's start are in the same process times).
    /// </summary>
    private void RunApplication(int rep, bool mirror)
    {
        foreach (MatrixCell cell in InOrder(cells.Where(c => c.Group == MatrixGroup.Application), mirror))
        {
            progress.Begin(rep, placement, cell.Label);
            double before = ProbeBefore();
            string hostPath = HostPath("api");
            var host = new HostDirectory(hostPath);
            try
            {
                if (cell.Id.StartsWith("api/queues-", StringComparison.Ordinal))
                {
                    // Every CPU of the machine, not the harness's taskset: the back's workers from the first, the front's from the last.
                    (double total, _, _) = ApiQueuesCommand.Measure(host, cell.Queues, settings.QueueSeconds, cell.MessageBytes, onAllCpus: true);
                    Add(cell, MatrixSample.Throughput(rep, total, cell.MessageBytes, double.NaN, (before, Probe())));
                }
                else if (cell.IsRoundTrip)
                {
                    LatencyHistogram histogram = ApiPingPongCommand.MeasureApi(host, _b, settings.ApiRounds, TimeSpan.FromMilliseconds(settings.ApiWarmupMs), "all", out double cpu);
                    double after = Probe();
                    Add(cell, new MatrixSample(
                        rep, 1e6 / histogram.MeanMicroseconds, 1e6 / histogram.MeanMicroseconds * cell.MessageBytes / 1e9, histogram.P50, histogram.P50, histogram.P99,
                        histogram.P999, double.NaN, double.NaN, cpu / histogram.Count, double.NaN, before, after));
                    cell.Histogram ??= new LatencyHistogram();
                    cell.Histogram.Add(histogram);
                }
                else
                {
                    double gigabytes = ApiStreamCommand.MeasurePipe(host, _b, settings.ApiStreamBytes, out double cpu);
                    Add(cell, MatrixSample.Throughput(rep, gigabytes * 1e9 / cell.MessageBytes, cell.MessageBytes, cpu / (settings.ApiStreamBytes / (double)cell.MessageBytes), (before, Probe())));
                }
            }
            finally
            {
                Directory.Delete(hostPath, recursive: true);
            }

            progress.Advance(1);
        }
    }
}
