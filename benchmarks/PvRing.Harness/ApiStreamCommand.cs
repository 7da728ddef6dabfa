// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.Harness;

/// <summary>
/// <c>apistream [--mib M] [--reps R] [--cpu C]</c>: one-way bulk bytes, 64 KiB writes, from a peer process through
/// <see cref="PvRingConnection.Pipe"/> against a .NET Unix domain stream socket, in alternating blocks; GB/s of each and the
/// ratio. The peer (<c>apistream-peer</c>, pinned with taskset to <c>--cpu</c>, default 1) writes; this process reads. Run
/// the harness under <c>taskset -c 0</c>.
/// </summary>
internal sealed class ApiStreamCommand : IHarnessCommand
{
    public string Name => "apistream";

    public string Summary => "64 KiB writes one way through PvRingConnection.Pipe vs a Unix domain socket, GB/s";

    // The ring page order the writing front wants (--order, default 0, as a connection's default).
    private static int s_order;

    public int Run(string[] args)
    {
        var options = new HarnessOptions(args, "--mib", "--reps", "--cpu", "--order");
        long bytes = options.Int("--mib", 512, 1, 1 << 20) << 20;
        int reps = (int)options.Int("--reps", 5, 1, 100);
        int cpu = (int)options.Int("--cpu", 1, 0, 1023);
        s_order = (int)options.Int("--order", 0, 0, 4);
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
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  rep {rep + 1}: pipe {pipe:0.00} GB/s, socket {socket:0.00} GB/s, ratio {pipe / socket:0.00}"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"median: pipe {Measurement.Median(pipeRates):0.00} GB/s, socket {Measurement.Median(socketRates):0.00} GB/s, median ratio {Measurement.Median(ratios):0.00} (min {ratios.Min():0.00}, max {ratios.Max():0.00}; {reps} reps of {bytes >> 20} MiB)"));
            return 0;
        }
        finally
        {
            Directory.Delete(hostPath, recursive: true);
        }
    }

    /// <summary>GB/s of <paramref name="bytes"/> written in 64 KiB writes by the peer on <paramref name="cpu"/> through the pipe (also the matrix's cell).</summary>
    internal static double MeasurePipe(HostDirectory host, int cpu, long bytes)
    {
        string name = $"st{Environment.TickCount64 & 0xFFFFFF}";
        using Process peer = PeerProcess.Start(cpu, "apistream-peer", "pipe", host.Path, name, bytes.ToString(CultureInfo.InvariantCulture), s_order.ToString(CultureInfo.InvariantCulture));
        try
        {
            return ReadPipeAsync(host, name, bytes).GetAwaiter().GetResult();
        }
        finally
        {
            _ = Measurement.Finish(peer, "apistream-peer");
        }
    }

    private static async Task<double> ReadPipeAsync(HostDirectory host, string name, long bytes)
    {
        await using PvRingListener listener = await PvRingListener.StartAsync(name, new PvRingListenerOptions { Host = host });
        await using PvRingConnection connection = await listener.AcceptAsync();
        PipeReader input = connection.Pipe.Input;
        long received = 0;
        long start = 0;
        while (received < bytes)
        {
            ReadResult result = await input.ReadAsync();
            if (start == 0)
            {
                start = Stopwatch.GetTimestamp();
            }

            received += result.Buffer.Length;
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        return received / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
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
            }

            return received / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
        }
        finally
        {
            _ = Measurement.Finish(peer, "apistream-peer");
            File.Delete(path);
        }
    }
}
