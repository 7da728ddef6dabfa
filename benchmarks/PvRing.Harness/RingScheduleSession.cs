// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using PvRing.Memory;
using PvRing.Platform;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Tx;

namespace PvRing.Harness;

/// <summary>
/// A schedule of ring runs between this process (the front, on the calling thread, pinned to the front CPU while the
/// session lasts) and <c>ringworkloads-peer</c> (the back, pinned to the back CPU with taskset), both busy-polling with
/// the batch policy of each run's <see cref="RingWorkload"/> (the one implementation of it, shared by
/// <c>ringworkloads</c>, its <c>ringvariants</c> preset and the matrix). The whole schedule is written to the host
/// directory before the peer starts (<c>schedule.txt</c>: <c>features order back-batch requests</c> per line); each
/// run is a fresh ring file <c>run&lt;i&gt;</c>. Runs must be run in order.
/// </summary>
internal sealed class RingScheduleSession : IDisposable
{
    /// <summary>The file in the host directory that tells the peer the runs.</summary>
    public const string ScheduleName = "schedule.txt";

    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);

    private readonly IReadOnlyList<RingRun> _runs;
    private readonly string _hostPath;
    private readonly HostDirectory _host;
    private readonly Process _peer;
    private readonly IReadOnlyList<int> _affinity;
    private bool _finished;

    public RingScheduleSession(IReadOnlyList<RingRun> runs, int front, int back)
    {
        _runs = runs;
        _hostPath = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"pvring-rings-{Environment.ProcessId}-{Environment.TickCount64}");
        _host = new HostDirectory(_hostPath); // created 0700, as RingFile requires
        File.WriteAllLines(_host.GetFilePath(ScheduleName), runs.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{(int)r.Variant.Features} {r.Variant.Order} {r.Workload.BackBatch} {r.Total}")));
        _peer = PeerProcess.Start(back, "ringworkloads-peer", _hostPath);
        PeerProcess.WaitReady(_peer, "ringworkloads-peer", s_limit);
        _affinity = CpuAffinity.GetCurrentThreadAffinity();
        CpuAffinity.PinCurrentThread(front);
    }

    internal static string RunName(int run) => string.Create(CultureInfo.InvariantCulture, $"run{run}");

    /// <summary>Runs the <paramref name="index"/>-th run (in order) and fills in its rate, publications and CPU time.</summary>
    public void Run(int index) => RunFront(_host, RunName(index), _runs[index], _peer.Id);

    /// <summary>After the last run: waits for the peer and takes the back's publications of every run.</summary>
    public void Finish()
    {
        string output = Measurement.Finish(_peer, "ringworkloads-peer");
        _finished = true;
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = line.Split(' ');
            if (parts.Length == 3 && parts[0] == "run")
            {
                _runs[int.Parse(parts[1], CultureInfo.InvariantCulture)].BackPublications = long.Parse(parts[2]["publications=".Length..], CultureInfo.InvariantCulture);
            }
        }
    }

    public void Dispose()
    {
        CpuAffinity.PinCurrentThread([.. _affinity]);
        if (!_finished)
        {
            Measurement.Abandon(_peer, "ringworkloads-peer");
        }
        else
        {
            _peer.Dispose();
        }

        Directory.Delete(_hostPath, recursive: true);
    }

    private static void RunFront(HostDirectory host, string name, RingRun run, int peer)
    {
        using FrontRing<NetifTxRequest, NetifTxResponse> ring = RingFile.Create<NetifTxRequest, NetifTxResponse>(host, name, run.Variant);
        try
        {
            int batch = run.Workload.FrontBatch == 0 ? int.MaxValue : run.Workload.FrontBatch;
            int outstanding = run.Workload.Outstanding == 0 ? ring.Size : run.Workload.Outstanding;
            double cpu = ProcessCpu.Self() + ProcessCpu.Seconds(peer);
            (long timed, long ticks, long publications) = Exchange(ring, run.Total, run.Warmup, batch, outstanding);
            run.CpuSecondsPerRequest = (ProcessCpu.Self() + ProcessCpu.Seconds(peer) - cpu) / run.Total;
            run.Rate = timed * (double)Stopwatch.Frequency / ticks;
            run.FrontPublications = publications;
        }
        finally
        {
            host.Delete(name);
        }
    }

    /// <summary>
    /// The front: publishes at most <paramref name="batch"/> requests at a time while fewer than <paramref name="outstanding"/>
    /// are in flight, consumes every response published, and checks response n carries id n mod 2^16 and OKAY.
    /// </summary>
    // Fully optimised from the first run, so that every run of the schedule executes the same machine code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (long Timed, long Ticks, long Publications) Exchange(FrontRing<NetifTxRequest, NetifTxResponse> ring, long total, long warmup, int batch, int outstanding)
    {
        var checker = default(ResponseChecker);
        var poll = new BusyPoll(s_limit);
        long sent = 0;
        long received = 0;
        long timedFrom = 0;
        long publications = 0;
        long start = Stopwatch.GetTimestamp();
        bool timing = warmup == 0;
        while (received < total)
        {
            if (!timing && received >= warmup)
            {
                timing = true;
                timedFrom = received;
                publications = 0;
                start = Stopwatch.GetTimestamp();
            }

            int room = (int)Math.Min(Math.Min(ring.FreeRequests, outstanding - ring.OutstandingRequests), Math.Min(total - sent, batch));
            if (room > 0)
            {
                // PvRing.Tx's fill loop, out of line (inlined here the JIT kept the loop's locals on the stack).
                RequestFill.Fill(ring, room, (ulong)sent);
                sent += room;
                publications++;
            }

            int answered = ring.ConsumeResponses(ref checker, int.MaxValue);
            if (checker.Wrong is NetifTxResponse wrong)
            {
                throw new InvalidOperationException($"Response {checker.Received} is wrong: id={wrong.Id}, status={wrong.Status}.");
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

        return (received - timedFrom, Stopwatch.GetTimestamp() - start, publications);
    }
}
