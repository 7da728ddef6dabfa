// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.Harness;

/// <summary>
/// <c>apipingpong [--rounds N] [--reps R] [--cpu C]</c>: the round trip of one 64-byte packet through the application API
/// (<c>SendAsync</c> then <c>ReceiveAsync</c>, the default asynchronous waits) against a .NET Unix domain stream socket doing
/// the same, in alternating blocks of one run. The peer (<c>apipingpong-peer</c>, pinned with taskset to
/// <c>--cpu</c>, default 1) echoes. Run the harness itself under <c>taskset -c 0</c> so all of its threads stay on one CPU.
/// </summary>
internal sealed class ApiPingPongCommand : IHarnessCommand
{
    private const int Size = 64;
    private const int Warmup = 2_000;

    public string Name => "apipingpong";

    public string Summary => "64 B round trip through PvRingConnection.SendAsync/ReceiveAsync vs a Unix domain socket";

    public int Run(string[] args)
    {
        var options = new HarnessOptions(args, "--rounds", "--reps", "--cpu");
        int rounds = (int)options.Int("--rounds", 20_000, 100, 10_000_000);
        int reps = (int)options.Int("--reps", 5, 1, 100);
        int cpu = (int)options.Int("--cpu", 1, 0, 1023);
        string hostPath = Path.Combine("/dev/shm", $"pvring-apipingpong-{Environment.ProcessId}");
        var host = new HostDirectory(hostPath);
        try
        {
            var api = new List<double>();
            var socket = new List<double>();
            for (int rep = 0; rep < reps; rep++)
            {
                // Alternate which goes first, so a drift of the machine does not favour one.
                (double Median, double P99) apiResult = default, socketResult = default;
                foreach (bool apiTurn in rep % 2 == 0 ? new[] { true, false } : [false, true])
                {
                    if (apiTurn)
                    {
                        apiResult = MeasureApi(host, cpu, rounds);
                    }
                    else
                    {
                        socketResult = MeasureSocket(host, cpu, rounds);
                    }
                }

                api.Add(apiResult.Median);
                socket.Add(socketResult.Median);
                Report(rep, apiResult, socketResult);
            }

            double ratio = Measurement.Median(api.Zip(socket, (a, s) => a / s).ToList());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"median round trip: api {Measurement.Median(api):0.00} us, socket {Measurement.Median(socket):0.00} us, median ratio api/socket {ratio:0.000} ({reps} reps, {rounds} rounds each)"));
            return 0;
        }
        finally
        {
            Directory.Delete(hostPath, recursive: true);
        }
    }

    private static void Report(int rep, (double Median, double P99) api, (double Median, double P99) socket) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  rep {rep + 1}: api p50 {api.Median:0.00} us p99 {api.P99:0.00} us; socket p50 {socket.Median:0.00} us p99 {socket.P99:0.00} us; ratio {api.Median / socket.Median:0.000}"));

    private static (double Median, double P99) MeasureApi(HostDirectory host, int cpu, int rounds)
    {
        string name = $"pp{Environment.TickCount64 & 0xFFFFFF}";
        using Process peer = Measurement.Start(cpu, "dotnet", typeof(ApiPingPongCommand).Assembly.Location, "apipingpong-peer", "api", host.Path, name);
        try
        {
            return RunApiAsync(host, name, rounds).GetAwaiter().GetResult();
        }
        finally
        {
            _ = Measurement.Finish(peer, "apipingpong-peer");
        }
    }

    private static async Task<(double, double)> RunApiAsync(HostDirectory host, string name, int rounds)
    {
        await using PvRingListener listener = await PvRingListener.StartAsync(name, new PvRingListenerOptions { Host = host });
        await using PvRingConnection connection = await listener.AcceptAsync();
        var packet = new byte[Size];
        var buffer = new byte[NetPacketLimits.MaxPacketSize];
        var times = new double[rounds];
        for (int i = -Warmup; i < rounds; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await connection.SendAsync(packet);
            if (await connection.ReceiveAsync(buffer) != Size)
            {
                throw new InvalidOperationException("the echo came back with another length");
            }

            if (i >= 0)
            {
                times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }

        return Percentiles(times);
    }

    private static (double Median, double P99) MeasureSocket(HostDirectory host, int cpu, int rounds)
    {
        string path = host.GetFilePath($"pp{Environment.TickCount64 & 0xFFFFFF}.sock");
        using var listening = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listening.Bind(new UnixDomainSocketEndPoint(path));
        listening.Listen(1);
        using Process peer = Measurement.Start(cpu, "dotnet", typeof(ApiPingPongCommand).Assembly.Location, "apipingpong-peer", "socket", path);
        try
        {
            using Socket connection = listening.Accept();
            return RunSocketAsync(connection, rounds).GetAwaiter().GetResult();
        }
        finally
        {
            _ = Measurement.Finish(peer, "apipingpong-peer");
            File.Delete(path);
        }
    }

    private static async Task<(double, double)> RunSocketAsync(Socket connection, int rounds)
    {
        var packet = new byte[Size];
        var buffer = new byte[Size];
        var times = new double[rounds];
        for (int i = -Warmup; i < rounds; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await connection.SendAsync(packet, SocketFlags.None);
            int received = 0;
            while (received < Size)
            {
                int n = await connection.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None);
                if (n == 0)
                {
                    throw new InvalidOperationException("the echo peer closed early");
                }

                received += n;
            }

            if (i >= 0)
            {
                times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }

        connection.Shutdown(SocketShutdown.Both);
        return Percentiles(times);
    }

    private static (double Median, double P99) Percentiles(double[] times)
    {
        Array.Sort(times);
        return (times[times.Length / 2], times[(int)(times.Length * 0.99)]);
    }
}
