// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Rings;
using PvRing.Transport;

namespace PvRing.Harness;

/// <summary>
/// <c>apipingpong [--rounds N] [--reps R] [--warmup-ms W] [--cpu C]</c>: the round trip of one 64-byte packet through the
/// application API (<c>SendAsync</c> then <c>ReceiveAsync</c>, the default waits), against the ring-level round trip of
/// <c>ringpingpong</c> (one 8-byte request through a bare ring, spin-then-block waits) and a .NET Unix domain stream
/// socket doing the same, in one run, the order rotating per repetition. The peer (<c>apipingpong-peer</c>, pinned with
/// taskset to <c>--cpu</c>, default 1) echoes. Every case first runs round trips for <c>--warmup-ms</c> (both processes
/// then run tiered-up code), then times <c>--rounds</c> of them one by one. Run the harness under <c>taskset -c 0</c>.
/// <c>netif</c> is the api case's data flow on bare rings, with nothing of the library above them (<see cref="NetifFloor"/>):
/// api/netif is what the library adds, netif/ring what the split-driver protocol costs over one bare ring.
/// <c>--cases</c> picks among api, netif, ring and socket, and api-noinline (the api case with <c>feature-inline-data</c> off).
/// </summary>
internal sealed class ApiPingPongCommand : IHarnessCommand
{
    private const int Size = 64;
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(30);
    private static readonly string[] s_cases = ["api", "netif", "ring", "socket"];

    // Cases run only when --cases names them: the api case with feature-inline-data off (the front does not want it).
    private static readonly string[] s_extraCases = ["api-noinline"];

    // The ring features the api case's front wants: all (the default) or none.
    private static string s_ringFeatures = "all";

    public string Name => "apipingpong";

    public string Summary => "64 B round trip through PvRingConnection.SendAsync/ReceiveAsync vs a bare ring and a Unix domain socket";

    public int Run(string[] args)
    {
        var options = new HarnessOptions(args, "--rounds", "--reps", "--cpu", "--warmup-ms", "--cases", "--ring-features");
        int rounds = (int)options.Int("--rounds", 50_000, 100, 10_000_000);
        int reps = (int)options.Int("--reps", 5, 1, 100);
        int cpu = (int)options.Int("--cpu", 1, 0, 1023);
        var warmup = TimeSpan.FromMilliseconds(options.Int("--warmup-ms", 1_500, 0, 60_000));
        s_ringFeatures = options.String("--ring-features", "all");
        if (s_ringFeatures is not ("all" or "none"))
        {
            throw new ArgumentException("--ring-features is all (the connection's default) or none (the classic layout)");
        }

        string[] cases = options.String("--cases", string.Join(',', s_cases)).Split(',');
        if (cases.Length == 0 || cases.Any(c => !s_cases.Contains(c) && !s_extraCases.Contains(c)))
        {
            throw new ArgumentException($"--cases is a comma-separated subset of {string.Join(", ", s_cases.Concat(s_extraCases))}");
        }

        string hostPath = Path.Combine("/dev/shm", $"pvring-apipingpong-{Environment.ProcessId}");
        var host = new HostDirectory(hostPath);
        try
        {
            var medians = cases.ToDictionary(c => c, _ => new List<double>());
            for (int rep = 0; rep < reps; rep++)
            {
                // Rotate the order, so a drift of the machine does not favour one case.
                double probe = RegimeProbe.Measure(0, cpu); // this CPU is 0, as taskset gives the harness
                var results = new Dictionary<string, (double Median, double P99)>();
                for (int i = 0; i < cases.Length; i++)
                {
                    string which = cases[(rep + i) % cases.Length];
                    results[which] = Measure(which, host, cpu, rounds, warmup);
                    medians[which].Add(results[which].Median);
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  rep {rep + 1} (regime probe {probe:F0} ns: {RegimeProbe.Regime(probe, probe)}): {string.Join("; ", cases.Select(c => $"{c} p50 {results[c].Median:0.000} us p99 {results[c].P99:0.000} us"))}{Ratios(results)}"));
            }

            string summary = string.Join(", ", cases.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c} {Measurement.Median(medians[c]):0.000} us")));
            string ratios = !medians.ContainsKey("api") ? string.Empty : string.Join(", ", new[] { "netif", "ring", "socket" }.Where(medians.ContainsKey).Select(b =>
                string.Create(CultureInfo.InvariantCulture, $"api/{b} {Measurement.Median(medians["api"].Zip(medians[b], (a, x) => a / x).ToList()):0.000}")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"median round trip: {summary}; median ratios {ratios} ({reps} reps, {rounds} rounds each after {warmup.TotalMilliseconds:0} ms of warm-up)"));
            return 0;
        }
        finally
        {
            Directory.Delete(hostPath, recursive: true);
        }
    }

    private static string Ratios(Dictionary<string, (double Median, double P99)> results) =>
        !results.TryGetValue("api", out var api) ? string.Empty : string.Concat(new[] { "netif", "ring", "socket" }.Where(results.ContainsKey).Select(b =>
            string.Create(CultureInfo.InvariantCulture, $"; api/{b} {api.Median / results[b].Median:0.000}")));

    private static (double Median, double P99) Measure(string which, HostDirectory host, int cpu, int rounds, TimeSpan warmup) => which switch
    {
        "api" => Percentiles(MeasureApi(host, cpu, rounds, warmup, s_ringFeatures)),
        "api-noinline" => Percentiles(MeasureApi(host, cpu, rounds, warmup, s_ringFeatures + NoInlineSuffix)),
        "ring" => MeasureRing(host, cpu, rounds, warmup),
        "netif" => MeasureNetif(host, cpu, rounds, warmup),
        _ => MeasureSocket(host, cpu, rounds, warmup),
    };

    /// <summary>Appended to the peer's ring-features argument: the front does not want <c>feature-inline-data</c>.</summary>
    internal const string NoInlineSuffix = "-noinline";

    private static Process StartPeer(int cpu, params string[] arguments) =>
        PeerProcess.Start(cpu, "apipingpong-peer", arguments);

    private static (double Median, double P99) Percentiles(LatencyHistogram histogram) => (histogram.P50, histogram.P99);

    /// <summary>
    /// The api case: <paramref name="rounds"/> 64 B round trips through <c>SendAsync</c>/<c>ReceiveAsync</c> (after
    /// <paramref name="warmup"/> of them untimed) against the echoing peer on <paramref name="cpu"/>, each in the histogram;
    /// also the matrix's application-API round-trip cell. <paramref name="ringFeatures"/>: all (the default) or none.
    /// </summary>
    internal static LatencyHistogram MeasureApi(HostDirectory host, int cpu, int rounds, TimeSpan warmup, string ringFeatures) =>
        MeasureApi(host, cpu, rounds, warmup, ringFeatures, out _);

    /// <summary>As the other overload; <paramref name="cpuSeconds"/> is both processes' CPU time over the recorded round trips.</summary>
    internal static LatencyHistogram MeasureApi(HostDirectory host, int cpu, int rounds, TimeSpan warmup, string ringFeatures, out double cpuSeconds)
    {
        string name = $"pp{Environment.TickCount64 & 0xFFFFFF}";
        using Process peer = StartPeer(cpu, "api", host.Path, name, ringFeatures);
        try
        {
            (LatencyHistogram times, double cpuTime) = RunApiAsync(host, name, rounds, warmup, peer.Id).GetAwaiter().GetResult();
            cpuSeconds = cpuTime;
            return times;
        }
        finally
        {
            _ = Measurement.Finish(peer, "apipingpong-peer");
        }
    }

    private static async Task<(LatencyHistogram Times, double CpuSeconds)> RunApiAsync(HostDirectory host, string name, int rounds, TimeSpan warmup, int peer)
    {
        await using PvRingListener listener = await PvRingListener.StartAsync(name, new PvRingListenerOptions { Host = host });
        await using PvRingConnection connection = await listener.AcceptAsync();
        var packet = new byte[Size];
        var buffer = new byte[NetPacketLimits.MaxPacketSize];
        var times = new LatencyHistogram();
        double cpu = 0;
        long warmEnd = Stopwatch.GetTimestamp() + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        for (int i = 0; i < rounds; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await connection.SendAsync(packet);
            if (await connection.ReceiveAsync(buffer) != Size)
            {
                throw new InvalidOperationException("the echo came back with another length");
            }

            long end = Stopwatch.GetTimestamp();
            if (end < warmEnd)
            {
                i = -1; // still warming up: nothing recorded yet
                continue;
            }

            if (times.Count == 0)
            {
                cpu = ProcessCpu.Self() + ProcessCpu.Seconds(peer); // from the first recorded round
            }

            times.Record(end - start);
        }

        return (times, ProcessCpu.Self() + ProcessCpu.Seconds(peer) - cpu);
    }

    private static (double Median, double P99) MeasureRing(HostDirectory host, int cpu, int rounds, TimeSpan warmup)
    {
        string name = $"ring{Environment.TickCount64 & 0xFFFFFF}";
        using var domain = EventDomain.Create(host, 1);
        using EventChannel channel = domain.AllocateUnbound(2);
        using FrontRing<ulong, ulong> ring = RingFile.Create<ulong, ulong>(host, name, RingVariant.Classic(0));
        ring.Notifier = channel;
        using Process peer = StartPeer(cpu, "ring", host.Path, name, channel.Port.ToString(CultureInfo.InvariantCulture));
        try
        {
            var times = new LatencyHistogram();
            long warmEnd = Stopwatch.GetTimestamp() + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
            ulong sequence = 0;
            for (int i = 0; i < rounds; i++)
            {
                long start = Stopwatch.GetTimestamp();
                RingRoundTripSession.RoundTrip(ring, channel, new SpinThenBlockWait(), sequence++); // as ringpingpong's spin-then-block case
                long end = Stopwatch.GetTimestamp();
                if (end < warmEnd)
                {
                    i = -1;
                    continue;
                }

                times.Record(end - start);
            }

            return (times.P50, times.P99);
        }
        finally
        {
            channel.Dispose(); // the peer's wait ends with the channel
            _ = Measurement.Finish(peer, "apipingpong-peer");
        }
    }

    /// <summary>The netif case (<see cref="NetifFloor"/>): this process is the front, the peer the back.</summary>
    private static (double Median, double P99) MeasureNetif(HostDirectory host, int cpu, int rounds, TimeSpan warmup)
    {
        string name = $"netif{Environment.TickCount64 & 0xFFFFFF}";
        using var domain = EventDomain.Create(host, 1);
        using EventChannel channel = domain.AllocateUnbound(2);
        using var front = new NetifFloor.Front(host, name, channel);
        using Process peer = StartPeer(cpu, "netif", host.Path, name, channel.Port.ToString(CultureInfo.InvariantCulture));
        try
        {
            var times = new LatencyHistogram();
            long warmEnd = Stopwatch.GetTimestamp() + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
            ulong sequence = 0;
            for (int i = 0; i < rounds; i++)
            {
                long start = Stopwatch.GetTimestamp();
                front.RoundTrip(sequence++);
                long end = Stopwatch.GetTimestamp();
                if (end < warmEnd)
                {
                    i = -1;
                    continue;
                }

                times.Record(end - start);
            }

            return (times.P50, times.P99);
        }
        finally
        {
            channel.Dispose(); // the peer's wait ends with the channel
            _ = Measurement.Finish(peer, "apipingpong-peer");
        }
    }

    private static (double Median, double P99) MeasureSocket(HostDirectory host, int cpu, int rounds, TimeSpan warmup)
    {
        string path = host.GetFilePath($"pp{Environment.TickCount64 & 0xFFFFFF}.sock");
        using var listening = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listening.Bind(new UnixDomainSocketEndPoint(path));
        listening.Listen(1);
        using Process peer = StartPeer(cpu, "socket", path);
        try
        {
            using Socket connection = listening.Accept();
            return RunSocketAsync(connection, rounds, warmup).GetAwaiter().GetResult();
        }
        finally
        {
            _ = Measurement.Finish(peer, "apipingpong-peer");
            File.Delete(path);
        }
    }

    private static async Task<(double, double)> RunSocketAsync(Socket connection, int rounds, TimeSpan warmup)
    {
        var packet = new byte[Size];
        var buffer = new byte[Size];
        var times = new LatencyHistogram();
        long warmEnd = Stopwatch.GetTimestamp() + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        for (int i = 0; i < rounds; i++)
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

            long end = Stopwatch.GetTimestamp();
            if (end < warmEnd)
            {
                i = -1;
                continue;
            }

            times.Record(end - start);
        }

        connection.Shutdown(SocketShutdown.Both);
        return (times.P50, times.P99);
    }
}
