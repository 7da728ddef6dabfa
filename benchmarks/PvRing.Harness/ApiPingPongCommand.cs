// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using PvRing.Memory;
using PvRing.Rings;
using PvRing.Transport;

namespace PvRing.Harness;

/// <summary>
/// <c>apipingpong [--rounds N] [--reps R] [--block B] [--warmup-ms W] [--cpu C]</c>: the round trip of one 64-byte packet
/// through the application API (<c>SendAsync</c> then <c>ReceiveAsync</c>, the default waits), against the ring-level round
/// trip of <c>ringpingpong</c> (one 8-byte request through a bare ring, spin-then-block waits) and a .NET Unix domain
/// stream socket doing the same, in one run. Each case's peer (<c>apipingpong-peer</c>, pinned with taskset to
/// <c>--cpu</c>, default 1) echoes. In a repetition every peer runs at once and the cases take turns: warm-up round trips
/// for <c>--warmup-ms</c> (the processes then run tiered-up code), then <c>--rounds</c> timed round trips a case in turns
/// of <c>--block</c> (default 1000), each turn after <c>--switch-us</c> (default 300) of untimed ones, the order rotating per repetition. This VM's
/// speed flips between regimes within seconds; taking turns within a repetition lets every case see the same ones, so a
/// repetition's ratios compare like with like. Run the harness under <c>taskset -c 0</c>.
/// <c>netif</c> is the api case's data flow on bare rings, with nothing of the library above them (<see cref="NetifFloor"/>):
/// api/netif is what the library adds, netif/ring what the split-driver protocol costs over one bare ring.
/// <c>--cases</c> picks among api, netif, ring and socket, and api-noinline (the api case with <c>feature-inline-data</c> off),
/// netif-unfenced and netif-deferred, alone or combined (netif-unfenced-deferred: what-if variants of the
/// protocol, <see cref="NetifVariant"/>). <c>--ring-features none</c> gives the api and netif cases the classic ring layout.
/// </summary>
internal sealed class ApiPingPongCommand : IHarnessCommand
{
    private const int Size = 64;
    private static readonly string[] s_cases = ["api", "netif", "ring", "socket"];

    // Cases run only when --cases names them: the api case with feature-inline-data off (the front does not want it).
    private static readonly string[] s_extraCases = ["api-noinline", "netif-unfenced", "netif-deferred"];

    /// <summary>The ring features <c>--ring-features</c> names: all (the connection's default) or none (the classic layout).</summary>
    internal static RingFeatures RingFeaturesOf(string text) => text == "none" ? RingFeatures.None : RingFeatures.All;

    public string Name => "apipingpong";

    public string Summary => "64 B round trip through PvRingConnection.SendAsync/ReceiveAsync vs a bare ring and a Unix domain socket";

    public int Run(string[] args)
    {
        var options = new HarnessOptions(args, "--rounds", "--reps", "--cpu", "--warmup-ms", "--cases", "--ring-features", "--block", "--switch-us");
        int rounds = (int)options.Int("--rounds", 30_000, 100, 10_000_000);
        int reps = (int)options.Int("--reps", 5, 1, 100);
        int cpu = (int)options.Int("--cpu", 1, 0, 1023);
        int block = (int)options.Int("--block", 1_000, 10, 1_000_000);
        var switchTime = TimeSpan.FromMicroseconds(options.Int("--switch-us", 300, 0, 1_000_000));
        var warmup = TimeSpan.FromMilliseconds(options.Int("--warmup-ms", 1_500, 0, 60_000));
        string ringFeatures = options.String("--ring-features", "all");
        if (ringFeatures is not ("all" or "none"))
        {
            throw new ArgumentException("--ring-features is all (the connection's default) or none (the classic layout)");
        }

        string[] cases = options.String("--cases", string.Join(',', s_cases)).Split(',');
        if (cases.Length == 0 || cases.Any(c => !s_cases.Contains(c) && c != "api-noinline" && ApiPingPongSession.NetifVariantOf(c) is null) || cases.Distinct().Count() != cases.Length)
        {
            throw new ArgumentException($"--cases is a comma-separated subset of {string.Join(", ", s_cases.Concat(s_extraCases))} (netif's variants in any combination, as netif-unfenced-deferred), each once");
        }

        string hostPath = Path.Combine("/dev/shm", $"pvring-apipingpong-{Environment.ProcessId}");
        var host = new HostDirectory(hostPath);
        try
        {
            var medians = cases.ToDictionary(c => c, _ => new List<double>());
            var ratios = new Dictionary<string, List<double>>();
            for (int rep = 0; rep < reps; rep++)
            {
                double probe = RegimeProbe.Measure(0, cpu); // this CPU is 0, as taskset gives the harness
                Dictionary<string, (double Median, double P99)> results = RunRepetitionAsync(host, cpu, cases, rep, rounds, block, switchTime, warmup, ringFeatures).GetAwaiter().GetResult();
                foreach (string c in cases)
                {
                    medians[c].Add(results[c].Median);
                }

                foreach ((string name, double ratio) in Ratios(results))
                {
                    (ratios.TryGetValue(name, out List<double>? list) ? list : ratios[name] = []).Add(ratio);
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  rep {rep + 1} (regime probe {probe:F0} ns: {RegimeProbe.Regime(probe, probe)}): {string.Join("; ", cases.Select(c => $"{c} p50 {results[c].Median:0.000} us p99 {results[c].P99:0.000} us"))}{string.Concat(Ratios(results).Select(r => $"; {r.Name} {r.Ratio:0.000}"))}"));
            }

            string summary = string.Join(", ", cases.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c} {Measurement.Median(medians[c]):0.000} us")));
            string ratioSummary = string.Join(", ", ratios.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Key} {Measurement.Median(r.Value):0.000} ({r.Value.Min():0.000}..{r.Value.Max():0.000})")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"median round trip: {summary}; median ratios {ratioSummary} ({reps} reps, {rounds} rounds a case each, in turns of {block}, after {warmup.TotalMilliseconds:0} ms of warm-up)"));
            return 0;
        }
        finally
        {
            Directory.Delete(hostPath, recursive: true);
        }
    }

    /// <summary>
    /// One repetition: every case's peer started, a warm-up in turns, then <paramref name="rounds"/> timed round trips a case
    /// in turns of <paramref name="block"/> (the order rotating per repetition), each turn after <paramref name="switchTime"/>
    /// of untimed ones (default 300 us: longer than an idle peer's spin phase, 2000 polls, about 75 us here) (the idle peers' spin phases end, the woken one's caches refill). A drift of the machine then reaches
    /// every case of the repetition alike, so its ratios compare like with like.
    /// </summary>
    private static async Task<Dictionary<string, (double Median, double P99)>> RunRepetitionAsync(
        HostDirectory host, int cpu, string[] cases, int rep, int rounds, int block, TimeSpan switchTime, TimeSpan warmup, string ringFeatures)
    {
        var sessions = new List<ApiPingPongSession>();
        try
        {
            for (int i = 0; i < cases.Length; i++)
            {
                sessions.Add(await ApiPingPongSession.StartAsync(cases[(rep + i) % cases.Length], host, cpu, ringFeatures));
            }

            long warmEnd = Stopwatch.GetTimestamp() + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < warmEnd)
            {
                foreach (ApiPingPongSession session in sessions)
                {
                    await session.RunAsync(block, record: false);
                }
            }

            for (int done = 0; done < rounds; done += block)
            {
                foreach (ApiPingPongSession session in sessions)
                {
                    long switchEnd = Stopwatch.GetTimestamp() + (long)(switchTime.TotalSeconds * Stopwatch.Frequency);
                    do
                    {
                        await session.RunAsync(10, record: false);
                    }
                    while (Stopwatch.GetTimestamp() < switchEnd);

                    await session.RunAsync(Math.Min(block, rounds - done), record: true);
                }
            }

            return sessions.ToDictionary(s => s.Name, s => (s.Times.P50, s.Times.P99));
        }
        finally
        {
            foreach (ApiPingPongSession session in sessions)
            {
                await session.DisposeAsync();
            }
        }
    }

    /// <summary>api over each baseline there is, and netif over ring (what the protocol costs over one bare ring).</summary>
    private static IEnumerable<(string Name, double Ratio)> Ratios(Dictionary<string, (double Median, double P99)> results)
    {
        if (results.TryGetValue("api", out var api))
        {
            foreach (string b in new[] { "netif", "ring", "socket" }.Where(results.ContainsKey))
            {
                yield return ($"api/{b}", api.Median / results[b].Median);
            }
        }

        if (results.TryGetValue("netif", out var netif) && results.TryGetValue("ring", out var ring))
        {
            yield return ("netif/ring", netif.Median / ring.Median);
        }
    }

    /// <summary>Appended to the peer's ring-features argument: the front does not want <c>feature-inline-data</c>.</summary>
    internal const string NoInlineSuffix = "-noinline";

    private static Process StartPeer(int cpu, params string[] arguments) =>
        PeerProcess.Start(cpu, "apipingpong-peer", arguments);

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
}
