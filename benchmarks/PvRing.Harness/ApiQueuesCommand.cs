// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using PvRing.Memory;
using PvRing.Platform;
using PvRing.Transport;

namespace PvRing.Harness;

/// <summary>
/// <c>apiqueues [--queues 1,2,4] [--seconds S] [--reps R] [--size B]</c>: multiqueue throughput (hackathon item E) through
/// the application API. A peer process connects wanting N queues and sends B-byte packets on every queue from one worker
/// per queue (pinned: spread over the cores) for S seconds; this process listens and receives on every queue with its
/// own pinned workers. Prints packets/s in total and per queue for each N, median of R reps, and the ratio to one queue,
/// with the placement both sides chose. Run it without taskset: the workers need every CPU.
/// </summary>
internal sealed class ApiQueuesCommand : IHarnessCommand
{
    public string Name => "apiqueues";

    public string Summary => "multiqueue: packets/s with 1, 2, 4 queues, one pinned worker per queue and side";

    public int Run(string[] args)
    {
        var options = new HarnessOptions(args, "--queues", "--seconds", "--reps", "--size");
        int[] counts = options.String("--queues", "1,2,4").Split(',').Select(q => int.Parse(q, CultureInfo.InvariantCulture)).ToArray();
        double seconds = options.Int("--seconds", 2, 1, 60);
        int reps = (int)options.Int("--reps", 3, 1, 50);
        int size = (int)options.Int("--size", 64, 1, NetPacketLimits.MaxPacketSize);
        if (counts.Any(q => q is < 1 or > 16))
        {
            throw new ArgumentException("--queues lists counts of 1 to 16");
        }

        CpuTopology topology = CpuTopology.Load();
        Console.WriteLine($"machine: {topology}; this process may use {CpuAffinity.GetCurrentThreadAffinity().Count} CPUs");
        string hostPath = Path.Combine("/dev/shm", $"pvring-apiqueues-{Environment.ProcessId}");
        var host = new HostDirectory(hostPath);
        try
        {
            var rates = counts.ToDictionary(q => q, _ => new List<double>());
            var perQueue = counts.ToDictionary(q => q, _ => new List<double[]>());
            var placements = new Dictionary<int, string>();
            for (int rep = 0; rep < reps; rep++)
            {
                foreach (int queues in rep % 2 == 0 ? counts : counts.Reverse())
                {
                    (double total, double[] each, string placement) = Measure(host, queues, seconds, size);
                    rates[queues].Add(total);
                    perQueue[queues].Add(each);
                    placements[queues] = placement;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  rep {rep + 1}, {queues} queue(s): {total / 1e6:0.000} M packets/s ({string.Join(", ", each.Select(r => (r / 1e6).ToString("0.000", CultureInfo.InvariantCulture)))} per queue)"));
                }
            }

            double single = counts.Contains(1) ? Measurement.Median(rates[1]) : double.NaN;
            Console.WriteLine();
            Console.WriteLine($"| queues | packets/s (median of {reps}) | min..max | per queue (median) | vs 1 queue | back's placement |");
            Console.WriteLine("|---:|---:|---:|---|---:|---|");
            foreach (int queues in counts)
            {
                double median = Measurement.Median(rates[queues]);
                string each = string.Join(", ", Enumerable.Range(0, queues).Select(i => Measurement.Median(perQueue[queues].Select(r => r[i]).ToArray()) / 1e6).Select(r => r.ToString("0.000", CultureInfo.InvariantCulture))) + " M";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {queues} | {median / 1e6:0.000} M | {rates[queues].Min() / 1e6:0.000}..{rates[queues].Max() / 1e6:0.000} | {each} | {median / single:0.00} | {placements[queues]} |"));
            }

            return 0;
        }
        finally
        {
            Directory.Delete(hostPath, recursive: true);
        }
    }

    /// <summary>
    /// One run: packets/s in total and per queue, and the back's placement. <paramref name="onAllCpus"/> spreads both sides
    /// over every CPU of the machine (the back's workers from the first, the front's from the last) whatever this
    /// process's affinity (the matrix runs under taskset); otherwise each side spreads over the CPUs it may use.
    /// </summary>
    internal static (double Total, double[] PerQueue, string Placement) Measure(HostDirectory host, int queues, double seconds, int size, bool onAllCpus = false)
    {
        string name = $"mq{Environment.TickCount64 & 0xFFFFFF}";
        IReadOnlyList<int>? backCpus = null;
        string frontCpus = "spread";
        if (onAllCpus)
        {
            IReadOnlyList<int> order = CpuTopology.Load().GetSpreadOrder();
            backCpus = [.. Enumerable.Range(0, queues).Select(i => order[i % order.Count])];
            frontCpus = string.Join(',', Enumerable.Range(0, queues).Select(i => order[order.Count - 1 - (i % order.Count)]));
        }

        var listenerOptions = new PvRingListenerOptions { Host = host, Offers = PvRingListenerOptions.DefaultOffers with { Queues = queues }, QueueCpus = backCpus };
        return MeasureAsync(host, name, listenerOptions, queues, seconds, size, frontCpus).GetAwaiter().GetResult();
    }

    private static async Task<(double Total, double[] PerQueue, string Placement)> MeasureAsync(
        HostDirectory host, string name, PvRingListenerOptions listenerOptions, int queues, double seconds, int size, string frontCpus)
    {
        await using PvRingListener listener = await PvRingListener.StartAsync(name, listenerOptions);
        using Process peer = Measurement.Start(null, "dotnet", typeof(ApiQueuesCommand).Assembly.Location, "apiqueues-peer", host.Path, name,
            queues.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture), size.ToString(CultureInfo.InvariantCulture), frontCpus);
        try
        {
            await using PvRingConnection connection = await listener.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            var received = new long[queues];
            var first = new long[queues];
            var last = new long[queues];
            await connection.RunWorkers((queue, _) => Receive(connection, queue, size, out received[queue.Index], out first[queue.Index], out last[queue.Index]));
            double[] each = Enumerable.Range(0, queues).Select(i => received[i] / ((double)(last[i] - first[i]) / Stopwatch.Frequency)).ToArray();
            double total = received.Sum() / ((double)(last.Max() - first.Min()) / Stopwatch.Frequency);
            _ = Measurement.Finish(peer, "apiqueues-peer");
            return (total, each, connection.Placement);
        }
        catch
        {
            Measurement.Abandon(peer, "apiqueues-peer");
            throw;
        }
    }

    /// <summary>Takes packets until the peer has closed and the queue is empty.</summary>
    private static void Receive(PvRingConnection connection, PvRingQueue queue, int size, out long received, out long first, out long last)
    {
        var buffer = new byte[NetPacketLimits.MaxPacketSize];
        received = 0;
        first = 0;
        last = 0;
        long deadline = Stopwatch.GetTimestamp() + (120 * Stopwatch.Frequency);
        while (true)
        {
            if (queue.TryReceive(buffer, out int length))
            {
                if (length != size)
                {
                    throw new InvalidDataException($"queue {queue.Index}: a packet of {length} bytes, expected {size}");
                }

                last = Stopwatch.GetTimestamp();
                first = received++ == 0 ? last : first;
                continue;
            }

            if (connection.IsPeerGone && !queue.TryReceive(buffer, out _))
            {
                return;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"queue {queue.Index}: the peer neither sent nor closed within 120 s");
            }

            Thread.Yield(); // more workers than CPUs is the point of the small-machine rows
        }
    }
}
