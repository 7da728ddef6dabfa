// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Tests.Infrastructure;
using PvRing.Rings;
using PvRing.Transport;

namespace PvRing.Tests.Hardening;

/// <summary>
/// The soak (issue 14, point 6): one listener serves front after front, each wanting random features (ring variant and
/// page order, split event channels, one grant mode, scatter-gather, 1 to 3 queues), exchanging packets of random sizes
/// both ways on every queue, checked byte for byte, then closing. After warm-up rounds this process's resident memory
/// and open descriptors (<c>/proc/self/fd</c>) must stay flat: a reconnect that leaks a mapping, a descriptor or a grant
/// shows up as growth. By default it runs about 20 s; <c>PVRING_SOAK_MINUTES=N</c> runs it for N minutes (docs/security.md).
/// </summary>
public sealed class SoakTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int WarmUpRounds = 4;
    private const int FdSlack = 12;
    // The runtime still compiles code for feature combinations first met after the baseline (10-16 MB over a 20 s run
    // here, level in longer runs); a leak of 100 KB per connection over the ~500 connections of a default run is 50 MB.
    private const long RssSlackBytes = 48L << 20;
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private static readonly NetGrantModes[] s_modes = [NetGrantModes.Copy, NetGrantModes.Map, NetGrantModes.Persistent, NetGrantModes.DirectMap, NetGrantModes.DeferredUnmap];

    [Fact]
    public async Task Soak_ReconnectsWithRandomFeaturesAndSizes_MemoryAndDescriptorsFlat()
    {
        TimeSpan duration = double.TryParse(Environment.GetEnvironmentVariable("PVRING_SOAK_MINUTES"), NumberStyles.Float, CultureInfo.InvariantCulture, out double minutes) && minutes > 0
            ? TimeSpan.FromMinutes(minutes)
            : TimeSpan.FromSeconds(20);
        int seed = int.TryParse(Environment.GetEnvironmentVariable("PVRING_SOAK_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int given) ? given : Random.Shared.Next();
        output.WriteLine($"soak: seed {seed} (rerun with PVRING_SOAK_SEED={seed}), {duration.TotalSeconds:F0} s");
        var random = new Random(seed);

        using var host = new TempHost();
        var log = new Connections.ListLogger();
        await using PvRingListener listener = await PvRingListener.StartAsync("soak", new() { Host = host.Host, Offers = NetDeviceFeatures.All with { Queues = 3 }, Logger = log });
        long start = Environment.TickCount64;
        long deadline = start + (long)duration.TotalMilliseconds;
        (long Rss, int Fds) baseline = default;
        Dictionary<string, int> baselineKinds = [];
        int baselineRound = -1;
        var samples = new List<(int Round, long Rss, int Fds)>();
        long packets = 0, bytes = 0;
        int round = 0;
        for (; round < WarmUpRounds + 4 || Environment.TickCount64 < deadline; round++)
        {
            NetDeviceFeatures wants = NetDeviceFeatures.All with
            {
                RingFeatures = (RingFeatures)random.Next(8),
                RingPageOrder = random.Next(3),
                SplitEventChannels = random.Next(2) == 0,
                GrantModes = s_modes[random.Next(s_modes.Length)],
                ScatterGather = random.Next(4) != 0,
                Queues = random.Next(1, 4),
                NumaAffinity = false,
            };
            long p, b;
            try
            {
                (p, b) = await RoundAsync(listener, host, wants, random);
            }
            catch (Exception e) when (e is TimeoutException or PvRingException)
            {
                throw new InvalidOperationException(
                    $"round {round} ({wants}) failed after {packets} packets: {e.Message}; the listener's last messages: {string.Join(" | ", log.Messages.TakeLast(6))}", e);
            }

            packets += p;
            bytes += b;
            (long rss, int fds) = Measure();
            samples.Add((round, rss, fds));
            // The baseline is taken once the runtime has warmed up (a quarter of the time, and a few rounds at least).
            if (baselineKinds.Count == 0 && round >= WarmUpRounds - 1 && Environment.TickCount64 >= start + ((long)duration.TotalMilliseconds / 4))
            {
                // Resident memory is compared after aggressive collections (which hand freed heap back to the system)
                // here and at the end: a heap the ordinary GC keeps committed is not a leak.
                baseline = (Measure(aggressive: true).Rss, fds);
                baselineKinds = DescriptorKinds();
                baselineRound = samples.Count - 1;
            }
        }

        foreach ((int r, long rss, int fds) in samples.Where((_, i) => i % Math.Max(1, samples.Count / 10) == 0 || i == samples.Count - 1))
        {
            output.WriteLine($"round {r}: rss {rss >> 20} MB, {fds} descriptors");
        }

        output.WriteLine($"soak: {round} connections, {packets} packets, {bytes} bytes; baseline at round {samples[baselineRound].Round}: rss {baseline.Rss >> 20} MB, {baseline.Fds} descriptors");
        var after = samples.Skip(baselineRound + 1).ToList();
        // A sample right after a round can catch that round's teardown in flight (the listener's side closes in the
        // background; peer event pages are unmapped after a grace period), so a transient peak is not a leak. A leak never
        // comes back down: once the churn stops, the count must return to the baseline's within a bounded wait.
        int settled = Measure().Fds;
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); settled > baseline.Fds + FdSlack && waited.Elapsed < TimeSpan.FromSeconds(10);)
        {
            await Task.Delay(50);
            settled = Measure().Fds;
        }

        Dictionary<string, int> kinds = DescriptorKinds();
        string grown = string.Join(", ", kinds.Where(k => !IsRuntimeFile(k.Key) && k.Value > baselineKinds.GetValueOrDefault(k.Key)).Select(k => $"{k.Key}: {baselineKinds.GetValueOrDefault(k.Key)} -> {k.Value}"));
        output.WriteLine($"descriptors: baseline {baseline.Fds}, peak after it {after.Max(s => s.Fds)}, settled {settled}");
        Assert.True(settled <= baseline.Fds + FdSlack, $"descriptors grew: baseline {baseline.Fds}, settled at {settled} (peak {after.Max(s => s.Fds)}); by kind: {grown}");
        long settledRss = Measure(aggressive: true).Rss;
        output.WriteLine($"resident memory after aggressive collections: baseline {baseline.Rss >> 20} MB, settled {settledRss >> 20} MB (last sample {after[^1].Rss >> 20} MB)");
        Assert.True(settledRss <= baseline.Rss + RssSlackBytes, $"resident memory grew: baseline {baseline.Rss >> 20} MB, settled {settledRss >> 20} MB");
    }

    private static async Task<(long Packets, long Bytes)> RoundAsync(PvRingListener listener, TempHost host, NetDeviceFeatures wants, Random random)
    {
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("soak", new() { Host = host.Host, Wants = wants });
        Task<PvRingConnection> accepting = listener.AcceptAsync().AsTask();
        await Task.WhenAny(accepting, connecting).WaitAsync(s_bound);
        if (connecting.IsFaulted)
        {
            await connecting; // the front's own error says more than an accept that never comes
        }

        PvRingConnection back = await accepting.WaitAsync(s_bound);
        PvRingConnection front = await connecting.WaitAsync(s_bound);
        long packets = 0, bytes = 0;
        await using (front)
        await using (back)
        {
            Assert.Equal(front.Queues.Count, back.Queues.Count);
            int max = front.Features.MaxPacketSize;
            for (int q = 0; q < front.Queues.Count; q++)
            {
                int count = random.Next(5, 25);
                for (int i = 0; i < count; i++)
                {
                    int size = random.Next(4) == 0 ? random.Next(1, max + 1) : random.Next(1, 1500);
                    byte[] payload = new byte[size];
                    random.NextBytes(payload);
                    (PvRingQueue from, PvRingQueue to) = random.Next(2) == 0 ? (front.Queues[q], back.Queues[q]) : (back.Queues[q], front.Queues[q]);
                    await from.SendAsync(payload).AsTask().WaitAsync(s_bound);
                    using PvRingPacket got = await to.ReceivePacketAsync().AsTask().WaitAsync(s_bound);
                    Assert.True(got.Span.SequenceEqual(payload), $"queue {q}, packet {i} of {size} bytes differs ({wants})");
                    packets++;
                    bytes += size;
                }
            }
        }

        return (packets, bytes);
    }

    /// <summary>Assemblies, symbols and native libraries the runtime opens once, on first use (an exception's stack trace).</summary>
    private static bool IsRuntimeFile(string kind) => kind.EndsWith(".dll", StringComparison.Ordinal) || kind.EndsWith(".pdb", StringComparison.Ordinal) || kind.Contains(".so", StringComparison.Ordinal);

    /// <summary>Open descriptors by what they point at (a file's name without its directory, or socket, pipe, anon_inode...).</summary>
    private static Dictionary<string, int> DescriptorKinds()
    {
        var kinds = new Dictionary<string, int>();
        foreach (string fd in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            string target;
            try
            {
                target = new FileInfo(fd).LinkTarget ?? "?";
            }
            catch (IOException)
            {
                continue; // closed meanwhile
            }

            string kind = target.StartsWith('/') ? Path.GetFileName(target.Replace(" (deleted)", string.Empty, StringComparison.Ordinal)) : target.Split(':')[0];
            kind = string.Concat(kind.Where(c => !char.IsAsciiDigit(c)));
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }

        return kinds;
    }

    private static (long Rss, int Fds) Measure(bool aggressive = false)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, aggressive ? GCCollectionMode.Aggressive : GCCollectionMode.Forced, blocking: true, compacting: aggressive);
        long rss = 0;
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }

        return (rss, DescriptorKinds().Where(k => !IsRuntimeFile(k.Key)).Sum(k => k.Value));
    }
}
