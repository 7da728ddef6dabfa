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
        int rounds = Option(args, "--rounds", 20_000);
        int reps = Option(args, "--reps", 5);
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

    internal static int Option(string[] args, string name, int fallback)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
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

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in new[]
        {
            typeof(PingPongCommand).Assembly.Location, "pingpong-peer", host.Path, blocking.Port.ToString(CultureInfo.InvariantCulture),
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
        var syscalls = new double[Modes.Length][];
        for (int m = 0; m < Modes.Length; m++)
        {
            medians[m] = new double[reps];
            p99s[m] = new double[reps];
            syscalls[m] = new double[reps];
        }

        var samples = new long[rounds];
        byte[] buffer = new byte[1];
        for (int rep = -1; rep < reps; rep++)
        {
            // Repetition -1 is the warm-up (tiered JIT, page faults) and is not reported.
            for (int m = 0; m < Modes.Length; m++)
            {
                EventChannel? channel = m == 0 ? blocking : m == 1 ? spinning : null;
                EventChannelCounters before = channel?.Counters ?? default;
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

                    samples[i] = Stopwatch.GetTimestamp() - t0;
                }

                if (rep >= 0)
                {
                    Array.Sort(samples);
                    medians[m][rep] = Micros(samples[rounds / 2]);
                    p99s[m][rep] = Micros(samples[(int)(rounds * 0.99)]);
                    syscalls[m][rep] = channel is null ? double.NaN : (double)(channel.Counters.SystemCalls - before.SystemCalls) / rounds;
                }
            }
        }

        // Idle phase: the peer waits for one more event per mode while we read its CPU time over one second.
        double[] idle = new double[Modes.Length];
        for (int m = 0; m < Modes.Length; m++)
        {
            Thread.Sleep(200);
            long cpu0 = CpuTicks(peer.Id);
            long t0 = Stopwatch.GetTimestamp();
            Thread.Sleep(1000);
            idle[m] = (CpuTicks(peer.Id) - cpu0) / 100.0 / Stopwatch.GetElapsedTime(t0).TotalSeconds;
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
            string calls = m < 2 ? Median(syscalls[m]).ToString("F3", CultureInfo.InvariantCulture) : "n/a";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Modes[m],-16} {Median(medians[m]),10:F2} {Median(p99s[m]),10:F2} {calls,13} {notify,11} {idle[m],8:P1}"));
        }

        Ratio("spin-then-block / unix-socket (median)", medians[0], medians[2]);
        Ratio("spin-then-block / busy-spin (median)", medians[0], medians[1]);
        Ratio("spin-then-block / unix-socket (p99)", p99s[0], p99s[2]);
        Console.WriteLine($"spin-then-block channel counters: {counters}");
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

    private static void Expect(EventWaitResult result)
    {
        if (result != EventWaitResult.Signaled)
        {
            throw new InvalidOperationException($"A round trip ended with {result}.");
        }
    }

    private static long CpuTicks(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
