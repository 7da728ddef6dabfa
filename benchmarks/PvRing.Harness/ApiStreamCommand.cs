// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.Harness;

/// <summary>
/// <c>apistream [--mib M] [--reps R] [--cpu C] [--order K] [--touch]</c>: one-way bulk bytes, 64 KiB writes, from a peer
/// process through <see cref="PvRingConnection.Pipe"/> against a .NET Unix domain stream socket, in alternating blocks; GB/s
/// of each and the ratio. The peer (<c>apistream-peer</c>, pinned with taskset to <c>--cpu</c>, default 1) writes; this
/// process reads. With <c>--touch</c> the reader reads every byte it receives (a vectorised sum) in both cases, so a
/// zero-copy reader that never looks at the bytes is not the only figure. Run the harness under <c>taskset -c 0</c>.
/// </summary>
internal sealed class ApiStreamCommand : IHarnessCommand
{
    public string Name => "apistream";

    public string Summary => "64 KiB writes one way through PvRingConnection.Pipe vs a Unix domain socket, GB/s";

    // The ring page order the writing front wants (--order, default a connection's default).
    private static int s_order;

    // --touch: the reader sums every byte it receives.
    private static bool s_touch;

    // Where the sums go, so the reads cannot be optimised away.
    private static ulong s_sink;

    public int Run(string[] args)
    {
        s_touch = args.Contains("--touch");
        var options = new HarnessOptions([.. args.Where(a => a != "--touch")], "--mib", "--reps", "--cpu", "--order");
        long bytes = options.Int("--mib", 512, 1, 1 << 20) << 20;
        int reps = (int)options.Int("--reps", 5, 1, 100);
        int cpu = (int)options.Int("--cpu", 1, 0, 1023);
        s_order = (int)options.Int("--order", PvRingConnectionOptions.DefaultRingPageOrder, 0, 4);
        string hostPath = Path.Combine("/dev/shm", $"pvring-apistream-{Environment.ProcessId}");
        var host = new HostDirectory(hostPath);
        try
        {
            var ratios = new List<double>();
            var pipeRates = new List<double>();
            var socketRates = new List<double>();
            for (int rep = 0; rep < reps; rep++)
            {
                // Alternate which goes first, so a drift of the machine does not favour one.
                double pipe = 0;
                double socket = 0;
                double probeBefore = RegimeProbe.Measure(0, cpu);
                foreach (bool pipeTurn in rep % 2 == 0 ? new[] { true, false } : [false, true])
                {
                    if (pipeTurn)
                    {
                        pipe = MeasurePipe(host, cpu, bytes);
                    }
                    else
                    {
                        socket = MeasureSocket(host, cpu, bytes);
                    }
                }

                pipeRates.Add(pipe);
                socketRates.Add(socket);
                ratios.Add(pipe / socket);
                double probeAfter = RegimeProbe.Measure(0, cpu);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  rep {rep + 1}: pipe {pipe:0.00} GB/s, socket {socket:0.00} GB/s, ratio {pipe / socket:0.00}; probe {probeBefore:0} / {probeAfter:0} ns ({RegimeProbe.Regime(probeBefore, probeAfter)})"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"median: pipe {Measurement.Median(pipeRates):0.00} GB/s, socket {Measurement.Median(socketRates):0.00} GB/s, median ratio {Measurement.Median(ratios):0.00} (min {ratios.Min():0.00}, max {ratios.Max():0.00}; {reps} reps of {bytes >> 20} MiB, order {s_order}{(s_touch ? ", every byte read" : ", bytes not read")})"));
            return 0;
        }
        finally
        {
            Directory.Delete(hostPath, recursive: true);
        }
    }

    /// <summary>GB/s of <paramref name="bytes"/> written in 64 KiB writes by the peer on <paramref name="cpu"/> through the pipe (also the matrix's cell).</summary>
    internal static double MeasurePipe(HostDirectory host, int cpu, long bytes) => MeasurePipe(host, cpu, bytes, out _);

    /// <summary>As the other overload; <paramref name="cpuSeconds"/> is both processes' CPU time while the bytes flowed (first read to last).</summary>
    internal static double MeasurePipe(HostDirectory host, int cpu, long bytes, out double cpuSeconds)
    {
        string name = $"st{Environment.TickCount64 & 0xFFFFFF}";
        using Process peer = PeerProcess.Start(cpu, "apistream-peer", "pipe", host.Path, name, bytes.ToString(CultureInfo.InvariantCulture), s_order.ToString(CultureInfo.InvariantCulture));
        try
        {
            (double gigabytes, double cpuTime) = ReadPipeAsync(host, name, bytes, peer.Id).GetAwaiter().GetResult();
            cpuSeconds = cpuTime;
            return gigabytes;
        }
        finally
        {
            _ = Measurement.Finish(peer, "apistream-peer");
        }
    }

    private static async Task<(double GigabytesPerSecond, double CpuSeconds)> ReadPipeAsync(HostDirectory host, string name, long bytes, int peer)
    {
        await using PvRingListener listener = await PvRingListener.StartAsync(name, new PvRingListenerOptions { Host = host });
        await using PvRingConnection connection = await listener.AcceptAsync();
        PipeReader input = connection.Pipe.Input;
        long received = 0;
        long start = 0;
        double cpu = 0;
        while (received < bytes)
        {
            ReadResult result = await input.ReadAsync();
            if (start == 0)
            {
                start = Stopwatch.GetTimestamp();
                cpu = ProcessCpu.Self() + ProcessCpu.Seconds(peer);
            }

            received += result.Buffer.Length;
            if (s_touch)
            {
                foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                {
                    s_sink += Sum(segment.Span);
                }
            }

            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return (received / seconds / 1e9, ProcessCpu.Self() + ProcessCpu.Seconds(peer) - cpu);
    }

    private static double MeasureSocket(HostDirectory host, int cpu, long bytes)
    {
        string path = host.GetFilePath($"st{Environment.TickCount64 & 0xFFFFFF}.sock");
        using var listening = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listening.Bind(new UnixDomainSocketEndPoint(path));
        listening.Listen(1);
        using Process peer = PeerProcess.Start(cpu, "apistream-peer", "socket", path, bytes.ToString(CultureInfo.InvariantCulture));
        try
        {
            using Socket connection = listening.Accept();
            var buffer = new byte[1 << 20];
            long received = 0;
            long start = 0;
            while (received < bytes)
            {
                int n = connection.Receive(buffer);
                if (start == 0)
                {
                    start = Stopwatch.GetTimestamp();
                }

                if (n == 0)
                {
                    break;
                }

                received += n;
                if (s_touch)
                {
                    s_sink += Sum(buffer.AsSpan(0, n));
                }
            }

            return received / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
        }
        finally
        {
            _ = Measurement.Finish(peer, "apistream-peer");
            File.Delete(path);
        }
    }

    /// <summary>Reads every byte: a sum of the 8-byte lanes, 32 bytes a step.</summary>
    private static ulong Sum(ReadOnlySpan<byte> data)
    {
        Vector256<ulong> lanes = Vector256<ulong>.Zero;
        ref byte start = ref MemoryMarshal.GetReference(data);
        int i = 0;
        for (; i + Vector256<byte>.Count <= data.Length; i += Vector256<byte>.Count)
        {
            lanes += Vector256.LoadUnsafe(ref start, (nuint)i).AsUInt64();
        }

        ulong sum = Vector256.Sum(lanes);
        for (; i < data.Length; i++)
        {
            sum += data[i];
        }

        return sum;
    }
}
