// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Platform;

namespace PvRing.Harness;

/// <summary>
/// <c>pingpong [--rounds N] [--reps R]</c>: one-message ping-pong between this process and a copy of itself
/// (<c>pingpong-peer</c>), pinned to two different CPUs, over an event channel with spin-then-block, an event
/// channel with busy-spin, and a Unix domain socket pair, alternated within each repetition. Reports median and
/// p99 round trip, notifications and system calls per message, the idle CPU of a waiting side, and the ratios
/// measured within each repetition.
/// </summary>
internal sealed class PingPongCommand : IHarnessCommand
{
    internal static readonly string[] Modes = ["spin-then-block", "busy-spin", "unix-socket"];

    public string Name => "pingpong";

    public string Summary => "event channel (spin-then-block, busy-spin) vs Unix socket round trip between two pinned processes";

    public int Run(string[] args)
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
            Console.Error.WriteLine("pingpong needs two CPUs.");
            return 1;
        }

        CpuAffinity.PinCurrentThread(placement.First);
        string hostPath = Path.Combine("/dev/shm", $"pvring-pingpong-{Environment.ProcessId}");
        var host = new HostDirectory(hostPath);
        try
        {
            return Measure(host, placement, rounds, reps);
        }
        finally
        {
            Directory.Delete(hostPath, recursive: true);
        }
    }

    private static int Measure(HostDirectory host, CpuPlacement placement, int rounds, int reps)
    {
        using EventDomain domain = EventDomain.Create(host, 1);
        using EventChannel blocking = domain.AllocateUnbound(2);
        using EventChannel spinning = domain.AllocateUnbound(2);
        string socketPath = host.GetFilePath("pingpong.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);

        using Process peer = PeerProcess.Start(
            placement.Second, "pingpong-peer", host.Path, blocking.Port.ToString(CultureInfo.InvariantCulture),
            spinning.Port.ToString(CultureInfo.InvariantCulture), socketPath, placement.Second.ToString(CultureInfo.InvariantCulture),
            rounds.ToString(CultureInfo.InvariantCulture), reps.ToString(CultureInfo.InvariantCulture));
        using Socket socket = listener.Accept();
        PeerProcess.WaitReady(peer, "pingpong-peer", TimeSpan.FromSeconds(30));

        var medians = new double[Modes.Length][];
        var p99s = new double[Modes.Length][];
        var syscalls = new double[Modes.Length][];
        for (int m = 0; m < Modes.Length; m++)
        {
            medians[m] = new double[reps];
            p99s[m] = new double[reps];
            syscalls[m] = new double[reps];
        }

        var histogram = new LatencyHistogram();
        byte[] buffer = new byte[1];
        for (int rep = -1; rep < reps; rep++)
        {
            // Repetition -1 is the warm-up (tiered JIT, page faults) and is not reported.
            for (int m = 0; m < Modes.Length; m++)
            {
                EventChannel? channel = m == 0 ? blocking : m == 1 ? spinning : null;
                EventChannelCounters before = channel?.Counters ?? default;
                histogram.Reset();
                for (int i = 0; i < rounds; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    switch (m)
                    {
                        case 0:
                            blocking.Notify();
                            Expect(blocking.Wait(new SpinThenBlockWait(), TimeSpan.FromSeconds(10), CancellationToken.None));
                            break;
                        case 1:
                            spinning.Notify();
                            Expect(spinning.Wait(default(BusySpinWait), TimeSpan.FromSeconds(10), CancellationToken.None));
                            break;
                        default:
                            socket.Send(buffer);
                            socket.Receive(buffer);
                            break;
                    }

                    histogram.Record(Stopwatch.GetTimestamp() - t0);
                }

                if (rep >= 0)
                {
                    medians[m][rep] = histogram.P50;
                    p99s[m][rep] = histogram.P99;
                    syscalls[m][rep] = channel is null ? double.NaN : (double)(channel.Counters.SystemCalls - before.SystemCalls) / rounds;
                }
            }
        }

        // Idle phase: the peer waits for one more event per mode while we read its CPU time over one second.
        double[] idle = new double[Modes.Length];
        for (int m = 0; m < Modes.Length; m++)
        {
            Thread.Sleep(200);
            double cpu0 = ProcessCpu.Seconds(peer.Id);
            long t0 = Stopwatch.GetTimestamp();
            Thread.Sleep(1000);
            idle[m] = (ProcessCpu.Seconds(peer.Id) - cpu0) / Stopwatch.GetElapsedTime(t0).TotalSeconds;
            switch (m)
            {
                case 0:
                    blocking.Notify();
                    break;
                case 1:
                    spinning.Notify();
                    break;
                default:
                    socket.Send(buffer);
                    break;
            }
        }

        peer.WaitForExit(TimeSpan.FromSeconds(30));
        Report(rounds, reps, medians, p99s, syscalls, idle, blocking.Counters);
        return peer.ExitCode;
    }

    private static void Report(int rounds, int reps, double[][] medians, double[][] p99s, double[][] syscalls, double[] idle, EventChannelCounters counters)
    {
        Console.WriteLine($"{rounds} round trips x {reps} repetitions per mode, modes alternated within each repetition");
        Console.WriteLine($"{"mode",-16} {"median us",10} {"p99 us",10} {"syscalls/msg",13} {"notify/msg",11} {"idle CPU",9}");
        for (int m = 0; m < Modes.Length; m++)
        {
            string notify = m < 2 ? "1.00" : "n/a";
            string calls = m < 2 ? Measurement.Median(syscalls[m]).ToString("F3", CultureInfo.InvariantCulture) : "n/a";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Modes[m],-16} {Measurement.Median(medians[m]),10:F2} {Measurement.Median(p99s[m]),10:F2} {calls,13} {notify,11} {idle[m],8:P1}"));
        }

        Console.WriteLine(Measurement.RatioLine("spin-then-block / unix-socket (median)", medians[0], medians[2]));
        Console.WriteLine(Measurement.RatioLine("spin-then-block / busy-spin (median)", medians[0], medians[1]));
        Console.WriteLine(Measurement.RatioLine("spin-then-block / unix-socket (p99)", p99s[0], p99s[2]));
        Console.WriteLine($"spin-then-block channel counters: {counters}");
    }

    private static void Expect(EventWaitResult result)
    {
        if (result != EventWaitResult.Signaled)
        {
            throw new InvalidOperationException($"A round trip ended with {result}.");
        }
    }
}
