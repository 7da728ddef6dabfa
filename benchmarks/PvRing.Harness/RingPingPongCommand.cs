// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Platform;
using PvRing.Rings;

namespace PvRing.Harness;

/// <summary>
/// <c>ringpingpong [--rounds N] [--reps R]</c>: one request outstanding at a time <b>through a ring</b> between this
/// process (the front) and a copy of itself (<c>ringpingpong-peer</c>, the back), pinned to two CPUs: a ring whose
/// sides wait with <see cref="RingWaiter"/> and spin-then-block (notifications through an event channel when a side
/// sleeps), the same with busy-spin, and a Unix domain socket pair, alternated within each repetition, with the
/// cache-line regime probe before and after. Reports median and p99 round trip, notifications per request, the
/// idle CPU of a waiting back, and the ratios measured within each repetition.
/// </summary>
internal sealed class RingPingPongCommand : IHarnessCommand
{
    internal static readonly string[] Modes = ["ring spin-then-block", "ring busy-spin", "unix-socket"];

    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(30);

    public string Name => "ringpingpong";

    public string Summary => "ring ping-pong (spin-then-block, busy-spin) vs Unix socket round trip between two pinned processes";

    public int Run(string[] args)
    {
        int rounds = PingPongCommand.Option(args, "--rounds", 20_000);
        int reps = PingPongCommand.Option(args, "--reps", 5);
        CpuTopology topology = CpuTopology.Load();
        CpuPlacement placement = topology.FindPair(CpuPairKind.SameSocket) is { IsAvailable: true } same ? same : topology.FindPair(CpuPairKind.SmtSibling);
        Console.WriteLine($"machine: {topology}");
        Console.WriteLine($"placement: {placement}");
        if (!placement.IsAvailable)
        {
            Console.Error.WriteLine("ringpingpong needs two CPUs.");
            return 1;
        }

        string hostPath = Path.Combine("/dev/shm", $"pvring-ringpingpong-{Environment.ProcessId}");
        var host = new HostDirectory(hostPath);
        try
        {
            double probeBefore = Probe(placement);
            CpuAffinity.PinCurrentThread(placement.First);
            int exit = Measure(host, placement, rounds, reps);
            double probeAfter = Probe(placement);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"regime probe (cache-line round trip): before {probeBefore:F0} ns, after {probeAfter:F0} ns ({Regime(probeBefore)} / {Regime(probeAfter)})"));
            return exit;
        }
        finally
        {
            Directory.Delete(hostPath, recursive: true);
        }
    }

    private static double Probe(CpuPlacement placement)
    {
        try
        {
            return NativePeer.ProbeRoundTripNanoseconds(placement.First, placement.Second);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"regime probe unavailable: {e.Message}");
            return double.NaN;
        }
    }

    private static string Regime(double nanoseconds) =>
        double.IsNaN(nanoseconds) ? "unknown" : nanoseconds < 250 ? "near" : "far";

    private static int Measure(HostDirectory host, CpuPlacement placement, int rounds, int reps)
    {
        using EventDomain domain = EventDomain.Create(host, 1);
        using EventChannel blocking = domain.AllocateUnbound(2);
        using EventChannel spinning = domain.AllocateUnbound(2);
        using FrontRing<ulong, ulong> blockingRing = RingFile.Create<ulong, ulong>(host, "ring-block", 0);
        using FrontRing<ulong, ulong> spinningRing = RingFile.Create<ulong, ulong>(host, "ring-spin", 0);
        blockingRing.Notifier = blocking;
        spinningRing.Notifier = spinning;
        string socketPath = host.GetFilePath("pingpong.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in new[]
        {
            typeof(RingPingPongCommand).Assembly.Location, "ringpingpong-peer", host.Path, blocking.Port.ToString(CultureInfo.InvariantCulture),
            spinning.Port.ToString(CultureInfo.InvariantCulture), socketPath, placement.Second.ToString(CultureInfo.InvariantCulture),
            rounds.ToString(CultureInfo.InvariantCulture), reps.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(arg);
        }

        using Process peer = Process.Start(start)!;
        using Socket socket = listener.Accept();
        if (peer.StandardOutput.ReadLine() != "ready")
        {
            Console.Error.WriteLine("The peer did not start.");
            return 1;
        }

        var medians = new double[Modes.Length][];
        var p99s = new double[Modes.Length][];
        var notifications = new double[Modes.Length][];
        for (int m = 0; m < Modes.Length; m++)
        {
            medians[m] = new double[reps];
            p99s[m] = new double[reps];
            notifications[m] = new double[reps];
        }

        var samples = new long[rounds];
        byte[] buffer = new byte[1];
        ulong sequence = 0;
        for (int rep = -1; rep < reps; rep++)
        {
            // Repetition -1 is the warm-up (tiered JIT, page faults) and is not reported.
            for (int m = 0; m < Modes.Length; m++)
            {
                EventChannel? channel = m == 0 ? blocking : m == 1 ? spinning : null;
                long sentBefore = channel?.Counters.NotificationsSent ?? 0;
                for (int i = 0; i < rounds; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    switch (m)
                    {
                        case 0:
                            RoundTrip(blockingRing, blocking, new SpinThenBlockWait(), sequence++);
                            break;
                        case 1:
                            RoundTrip(spinningRing, spinning, default(BusySpinWait), sequence++);
                            break;
                        default:
                            socket.Send(buffer);
                            socket.Receive(buffer);
                            break;
                    }

                    samples[i] = Stopwatch.GetTimestamp() - t0;
                }

                if (rep >= 0)
                {
                    Array.Sort(samples);
                    medians[m][rep] = Micros(samples[rounds / 2]);
                    p99s[m][rep] = Micros(samples[(int)(rounds * 0.99)]);
                    notifications[m][rep] = channel is null ? double.NaN : (double)(channel.Counters.NotificationsSent - sentBefore) / rounds;
                }
            }
        }

        // Idle phase: the back waits for one more request per mode while we read its CPU time over one second.
        double[] idle = new double[Modes.Length];
        for (int m = 0; m < Modes.Length; m++)
        {
            using (var pause = new ManualResetEventSlim())
            {
                // Let the back finish its spin phase before measuring.
                pause.Wait(200);
                long cpu0 = CpuTicks(peer.Id);
                long t0 = Stopwatch.GetTimestamp();
                pause.Wait(1000);
                idle[m] = (CpuTicks(peer.Id) - cpu0) / 100.0 / Stopwatch.GetElapsedTime(t0).TotalSeconds;
            }

            switch (m)
            {
                case 0:
                    RoundTrip(blockingRing, blocking, new SpinThenBlockWait(), sequence++);
                    break;
                case 1:
                    RoundTrip(spinningRing, spinning, default(BusySpinWait), sequence++);
                    break;
                default:
                    socket.Send(buffer);
                    break;
            }
        }

        string? peerCounters = peer.StandardOutput.ReadLine();
        peer.WaitForExit(s_limit);
        Report(rounds, reps, medians, p99s, notifications, idle);
        Console.WriteLine($"front channel counters: spin-then-block {blocking.Counters}; busy-spin {spinning.Counters}");
        Console.WriteLine($"back: {peerCounters}");
        return peer.ExitCode;
    }

    /// <summary>One request out, one response back: publish (notify only if the back armed req_event), then wait.</summary>
    private static void RoundTrip<TWait>(FrontRing<ulong, ulong> ring, EventChannel channel, TWait strategy, ulong sequence)
        where TWait : struct, IWaitStrategy
    {
        using (SlotBatch<ulong> batch = ring.ClaimRequests(1))
        {
            batch[0] = sequence;
        }

        ulong response;
        while (!ring.TryConsumeResponse(out response))
        {
            RingWaitResult result = ring.WaitForResponses(channel, strategy, s_limit, CancellationToken.None);
            if (result != RingWaitResult.WorkAvailable)
            {
                throw new InvalidOperationException($"Round trip {sequence} ended with {result}.");
            }
        }

        if (response != ~sequence)
        {
            throw new InvalidOperationException($"Round trip {sequence} came back as {response}.");
        }
    }

    private static void Report(int rounds, int reps, double[][] medians, double[][] p99s, double[][] notifications, double[] idle)
    {
        Console.WriteLine($"{rounds} round trips x {reps} repetitions per mode, modes alternated within each repetition");
        Console.WriteLine($"{"mode",-22} {"median us",10} {"p99 us",10} {"front notify/req",17} {"back idle CPU",14}");
        for (int m = 0; m < Modes.Length; m++)
        {
            string notify = m < 2 ? Median(notifications[m]).ToString("F4", CultureInfo.InvariantCulture) : "n/a";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Modes[m],-22} {Median(medians[m]),10:F3} {Median(p99s[m]),10:F3} {notify,17} {idle[m],13:P1}"));
        }

        Ratio("spin-then-block / unix-socket (median)", medians[0], medians[2]);
        Ratio("spin-then-block / busy-spin (median)", medians[0], medians[1]);
        Ratio("spin-then-block / unix-socket (p99)", p99s[0], p99s[2]);
    }

    private static void Ratio(string name, double[] a, double[] b)
    {
        double[] ratios = a.Zip(b, (x, y) => x / y).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio {name}: median {Median(ratios):F4}, range {ratios.Min():F4}..{ratios.Max():F4} (per repetition)"));
    }

    private static double Median(double[] values)
    {
        double[] sorted = [.. values.Order()];
        return sorted[sorted.Length / 2];
    }

    private static double Micros(long ticks) => ticks * 1e6 / Stopwatch.Frequency;

    private static long CpuTicks(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
