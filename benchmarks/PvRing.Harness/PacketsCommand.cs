// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using PvRing.Bus;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Platform;
using PvRing.Store;
using PvRing.Transport;

namespace PvRing.Harness;

/// <summary>
/// <c>packets</c>: packets/s and GB/s streamed from a net front end (the peer, <c>packets-peer</c>, pinned to the second
/// CPU) to a net back end (this process, its measuring thread pinned to the first CPU, hosting the store), in every grant
/// mode and packet size, against .NET Unix domain sockets in the same run (a stream socket, a 4-byte length before each
/// packet, the sender in the peer, the reader parsing frames out of one reusable buffer). Both ring ends busy-poll.
/// Each repetition measures, per size, one block: socket, every mode with every feature on, the chosen modes with every
/// feature off, socket again (the mirror order in the next repetition), with the regime probe before and after the block;
/// each ring run is reported as its ratio to the geometric mean of the block's two socket runs.
/// </summary>
internal sealed class PacketsCommand : IHarnessCommand
{
    internal const int FrontDomainId = 1;
    internal const int BackDomainId = 0;

    private const string CsvHeader =
        "rep,size,case,packets_per_second,gigabytes_per_second,socket_packets_per_second,ratio_to_socket,probe_before_ns,probe_after_ns,regime,agreed";

    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);

    public string Name => "packets";

    public string Summary => "netif packets front->back in every grant mode vs Unix domain sockets, pinned, busy-polled: packets/s, GB/s, ratio";

    /// <summary>The device of the <paramref name="run"/>-th run: a fresh vif per ring run, so no run inherits another's state.</summary>
    internal static XenBusDevice DeviceFor(int run) => new("vif", FrontDomainId, BackDomainId, run);

    public int Run(string[] args)
    {
        var options = new HarnessOptions(args, "--repeat", "--sizes", "--modes", "--off-modes", "--warmup-ms", "--ms", "--cpus", "--out");
        int repeat = (int)options.Int("--repeat", 5, 1, 1000);
        int[] sizes = [.. ParseList(options.String("--sizes", "64,65535"), s => int.Parse(s, CultureInfo.InvariantCulture))];
        NetGrantModes[] modes = [.. ParseList(options.String("--modes", "copy,map,persistent,direct,deferred"), NetGrantModesExtensions.Parse)];
        NetGrantModes[] offModes = [.. ParseList(options.String("--off-modes", "persistent,direct"), NetGrantModesExtensions.Parse)];
        long warmupMs = options.Int("--warmup-ms", 200, 0, 60_000);
        long timedMs = options.Int("--ms", 500, 10, 60_000);
        (int back, int front) = options.CpuPair();
        string outDirectory = options.String("--out", Repository.ResultsDirectory);
        if (sizes.Any(s => s < sizeof(long) || s > NetPacketLimits.MaxPacketSize))
        {
            throw new ArgumentException($"--sizes must be in {sizeof(long)}..{NetPacketLimits.MaxPacketSize} (the first 8 bytes carry the sequence number)");
        }

        List<PacketCase[]> blocks = Blocks(repeat, sizes, modes, offModes);
        PacketCase[] schedule = [.. blocks.SelectMany(b => b)];
        Console.WriteLine(
            $"packets: sizes {string.Join('/', sizes)} B, modes {string.Join(',', modes.Select(m => m.ToName()))} (all features on), " +
            $"{string.Join(',', offModes.Select(m => m.ToName()))} also all off; {warmupMs} ms warm-up + {timedMs} ms timed per run; " +
            $"back (this process) on CPU {back}, front on CPU {front}; {repeat} repetitions, {schedule.Length} runs");

        string hostPath = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"pvring-packets-{Environment.ProcessId}");
        var host = new HostDirectory(hostPath); // created 0700, as the grant and event domains require
        var results = new RunResult[schedule.Length];
        var probes = new (double Before, double After)[blocks.Count];
        try
        {
            Measure(host, schedule, blocks, results, probes, back, front, warmupMs, timedMs, onBlock: null);
        }
        finally
        {
            Directory.Delete(hostPath, recursive: true);
        }

        string table = Report(blocks, results, probes, sizes, modes, offModes, repeat, warmupMs, timedMs, back, front);
        Console.WriteLine();
        Console.WriteLine(table);
        Directory.CreateDirectory(outDirectory);
        string stem = Path.Combine(outDirectory, $"packets-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        File.WriteAllText(stem + ".md", table);
        File.WriteAllLines(stem + ".csv", Csv(blocks, results, probes).Prepend(CsvHeader));
        Console.WriteLine($"written: {stem}.md, {stem}.csv");
        return 0;
    }

    private static IEnumerable<T> ParseList<T>(string text, Func<string, T> parse) =>
        text is "" or "none" ? [] : text.Split(',').Select(parse);

    /// <summary>
    /// Per repetition and size one block: socket, each mode all on, each off-mode all off, socket; odd repetitions (2nd,
    /// 4th, ...) take the ring cases in reverse, so that a drift within a block weighs on every case alike over two repetitions.
    /// </summary>
    private static List<PacketCase[]> Blocks(int repeat, int[] sizes, NetGrantModes[] modes, NetGrantModes[] offModes)
    {
        var blocks = new List<PacketCase[]>();
        for (int rep = 0; rep < repeat; rep++)
        {
            foreach (int size in sizes)
            {
                List<PacketCase> ring = [.. modes.Select(m => PacketCase.OfRing(m, true, size)), .. offModes.Select(m => PacketCase.OfRing(m, false, size))];
                if (rep % 2 == 1)
                {
                    ring.Reverse();
                }

                blocks.Add([PacketCase.OfSocket(size), .. ring, PacketCase.OfSocket(size)]);
            }
        }

        return blocks;
    }

    /// <summary>
    /// Runs the blocks (the store, the peer and its data socket set up here), filling <paramref name="results"/> (one per
    /// case of the flattened blocks) and <paramref name="probes"/> (one pair per block); <paramref name="onBlock"/> hears
    /// of each block done. Shared by <c>packets</c> and the matrix's packet cells.
    /// </summary>
    internal static void Measure(
        HostDirectory host, PacketCase[] schedule, List<PacketCase[]> blocks, RunResult[] results, (double, double)[] probes,
        int backCpu, int frontCpu, long warmupMs, long timedMs, Action<int>? onBlock)
    {
        string storeSocket = host.GetFilePath("store");
        string dataSocket = host.GetFilePath("data");
        XenStoreServer server = XenStoreServer.Start(new XenStoreServerOptions
        {
            SocketPath = storeSocket,
            // What the store refuses or drops explains a failed run; its routine connection events do not.
            Logger = new StoreProblemLogger(),
        });
        try
        {
            XenStoreClient store = XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = storeSocket }).GetAwaiter().GetResult();
            try
            {
                // The toolstack's part, all before the front starts: its domain exists (so the back end waits for it rather
                // than taking it for dead) and every ring run's device directories are there.
                store.IntroduceDomainAsync(FrontDomainId).GetAwaiter().GetResult();
                for (int run = 0; run < schedule.Length; run++)
                {
                    if (!schedule[run].Socket)
                    {
                        DeviceFor(run).CreateAsync(store).GetAwaiter().GetResult();
                    }
                }

                using EventDomain events = EventDomain.Create(host, BackDomainId);
                using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                listener.Bind(new UnixDomainSocketEndPoint(dataSocket));
                listener.Listen(1);
                Process peer = PeerProcess.Start(frontCpu, "packets-peer", host.Path, storeSocket, dataSocket,
                    string.Join(',', schedule.Select(c => c.Code)));
                try
                {
                    RunSchedule(store, host, events, listener, blocks, results, probes, backCpu, frontCpu, warmupMs, timedMs, peer.Id, onBlock);
                }
                catch
                {
                    Measurement.Abandon(peer, "packets-peer");
                    throw;
                }

                try
                {
                    Measurement.Finish(peer, "packets-peer");
                }
                finally
                {
                    peer.Dispose();
                }
            }
            finally
            {
                store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static void RunSchedule(
        XenStoreClient store, HostDirectory host, EventDomain events, Socket listener, List<PacketCase[]> blocks, RunResult[] results,
        (double, double)[] probes, int backCpu, int frontCpu, long warmupMs, long timedMs, int peer, Action<int>? onBlock)
    {
        long warmupTicks = warmupMs * Stopwatch.Frequency / 1000;
        long timedTicks = timedMs * Stopwatch.Frequency / 1000;
        byte[] socketBuffer = GC.AllocateArray<byte>(1 << 20, pinned: true);
        IReadOnlyList<int> affinity = CpuAffinity.GetCurrentThreadAffinity();
        CpuAffinity.PinCurrentThread(backCpu);
        try
        {
            int run = 0;
            XenBusDevice? retire = null;
            for (int b = 0; b < blocks.Count; b++)
            {
                double before = RegimeProbe.Measure(backCpu, frontCpu);
                foreach (PacketCase c in blocks[b])
                {
                    results[run] = c.Socket
                        ? RunSocket(listener, socketBuffer, c, warmupTicks, timedTicks, peer)
                        : RunRing(store, host, events, DeviceFor(run), c, warmupTicks, timedTicks, peer, ref retire);
                    run++;
                }

                double after = RegimeProbe.Measure(backCpu, frontCpu);
                probes[b] = (before, after);
                if (b == blocks.Count - 1 && retire is not null)
                {
                    Retire(store, retire);
                }

                if (onBlock is not null)
                {
                    onBlock(b);
                }
                else
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  block {b + 1}/{blocks.Count} ({blocks[b][0].Size} B): {string.Join(", ", results.Skip(run - blocks[b].Length).Take(blocks[b].Length).Select(r => $"{r.Case.Key} {r.PacketsPerSecond:N0}/s"))}; " +
                        $"probe {before:0} / {after:0} ns ({RegimeProbe.Regime(before, after)})"));
                }
            }
        }
        finally
        {
            CpuAffinity.PinCurrentThread([.. affinity]);
        }
    }

    private static RunResult RunRing(
        XenStoreClient store, HostDirectory host, EventDomain events, XenBusDevice device, PacketCase c, long warmupTicks, long timedTicks, int peer, ref XenBusDevice? retire)
    {
        // The back offers exactly the case's features: a front that asked for a mode the back lacks would silently get copy.
        var options = new NetBackendOptions { Offers = c.Features, Bus = new XenBusOptions { Timeout = s_limit } };
        NetBackend back = NetBackend.ConnectAsync(store, device, host, events, options).GetAwaiter().GetResult();
        try
        {
            // The front serves the runs in order, so once it is connected here it is done with the previous device.
            if (retire is not null)
            {
                Retire(store, retire);
            }

            retire = device;
            if (back.Features.GrantModes != c.Mode)
            {
                throw new InvalidOperationException($"{c.Label}: the ends agreed {back.Features}, not {c.Mode.ToName()}");
            }

            (long packets, long ticks, double cpu) = ReceiveRing(back.Queue, c.Size, warmupTicks, timedTicks, peer);
            return RunResult.Of(c, packets, ticks, cpu, back.Features.ToString());
        }
        finally
        {
            back.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// The toolstack's part of destroying a device: removes both ends' directories. Without it the front's nodes of every
    /// past run count against its domain's node quota (1000), which a default run's 70 devices would exceed.
    /// </summary>
    private static void Retire(XenStoreClient store, XenBusDevice device)
    {
        store.RemoveAsync(device.FrontendPath).GetAwaiter().GetResult();
        store.RemoveAsync(device.BackendPath).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Receives (busy-polling) for the warm-up time, then counts the packets of the timed window. The clock is read once
    /// every 64 rounds only, since a 64-byte packet costs about as much as a clock read; the window is measured exactly
    /// (between two reads), only its length overshoots a little.
    /// </summary>
    // Fully optimised from the first run, so that every run executes the same machine code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (long Packets, long Ticks, double CpuSeconds) ReceiveRing(NetBackQueue queue, int size, long warmupTicks, long timedTicks, int peer)
    {
        var handler = new PacketSequenceHandler(size);
        var poll = new BusyPoll(s_limit);
        long begin = Stopwatch.GetTimestamp();
        long start = 0;
        long from = 0;
        double cpu = 0; // both processes' CPU seconds when the window opened (CPU time of the timed window only)
        bool timing = false;
        uint rounds = 0;
        while (true)
        {
            if (queue.Receive(ref handler, int.MaxValue) != 0)
            {
                poll.Progress();
            }
            else
            {
                poll.Idle("packets from the front end");
            }

            if ((++rounds & 63) != 0)
            {
                continue;
            }

            if (handler.Wrong != long.MinValue)
            {
                ThrowWrongPacket(handler.Received, handler.Wrong, size);
            }

            long now = Stopwatch.GetTimestamp();
            if (!timing)
            {
                if (now - begin >= warmupTicks)
                {
                    timing = true;
                    start = now;
                    from = handler.Received;
                    cpu = ProcessCpu.Self() + ProcessCpu.Seconds(peer);
                }
            }
            else if (now - start >= timedTicks)
            {
                return (handler.Received - from, now - start, ProcessCpu.Self() + ProcessCpu.Seconds(peer) - cpu);
            }
        }
    }

    private static RunResult RunSocket(Socket listener, byte[] buffer, PacketCase c, long warmupTicks, long timedTicks, int peer)
    {
        using Socket connection = listener.Accept();
        connection.ReceiveTimeout = (int)s_limit.TotalMilliseconds;
        (long packets, long ticks, double cpu) = ReceiveSocket(connection, buffer, c.Size, warmupTicks, timedTicks, peer);
        return RunResult.Of(c, packets, ticks, cpu, "stream socket, 4-byte length prefix");

        // Disposing the connection ends the sender's run (its next send fails with EPIPE).
    }

    /// <summary>
    /// Reads as much as the kernel has into one reusable buffer, takes every whole frame out of it (checking its length and
    /// sequence number), and moves the partial frame left over to the front. The clock is read after every read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (long Packets, long Ticks, double CpuSeconds) ReceiveSocket(Socket connection, byte[] buffer, int size, long warmupTicks, long timedTicks, int peer)
    {
        long received = 0;
        int filled = 0;
        long begin = Stopwatch.GetTimestamp();
        long start = 0;
        long from = 0;
        double cpu = 0; // both processes' CPU seconds when the window opened (CPU time of the timed window only)
        bool timing = false;
        while (true)
        {
            int n = connection.Receive(buffer.AsSpan(filled));
            if (n == 0)
            {
                throw new InvalidOperationException($"the socket sender closed after {received} packets");
            }

            filled += n;
            int position = 0;
            while (filled - position >= sizeof(int) + sizeof(long))
            {
                int length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(position));
                if (filled - position - sizeof(int) < length)
                {
                    break;
                }

                long sequence = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(position + sizeof(int)));
                if (length != size || sequence != received)
                {
                    ThrowWrongPacket(received, length != size ? -1 : sequence, size);
                }

                received++;
                position += sizeof(int) + length;
            }

            if (position > 0)
            {
                buffer.AsSpan(position, filled - position).CopyTo(buffer);
                filled -= position;
            }

            long now = Stopwatch.GetTimestamp();
            if (!timing)
            {
                if (now - begin >= warmupTicks)
                {
                    timing = true;
                    start = now;
                    from = received;
                    cpu = ProcessCpu.Self() + ProcessCpu.Seconds(peer);
                }
            }
            else if (now - start >= timedTicks)
            {
                return (received - from, now - start, ProcessCpu.Self() + ProcessCpu.Seconds(peer) - cpu);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowWrongPacket(long expected, long got, int size) =>
        throw new InvalidOperationException(got == -1
            ? $"packet {expected} does not have {size} bytes"
            : $"packet {expected} carries sequence number {got}");

    private static string Report(
        List<PacketCase[]> blocks, RunResult[] results, (double Before, double After)[] probes, int[] sizes, NetGrantModes[] modes,
        NetGrantModes[] offModes, int repeat, long warmupMs, long timedMs, int back, int front)
    {
        List<Row> rows = Rows(blocks, results, probes);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"### packets: front (peer) on CPU {front} -> back (harness) on CPU {back}, {warmupMs} ms warm-up + {timedMs} ms timed per run, {repeat} reps, {DateTime.UtcNow:u}");
        text.AppendLine();
        text.AppendLine("GB/s is payload bytes (10^9) per second. Ratio: each run over the geometric mean of the two socket runs of its block.");
        foreach (int size in sizes)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"#### {size} B packets");
            text.AppendLine();
            text.AppendLine("| case | median packets/s | median GB/s | median ratio to socket | min..max | reps near/far/other |");
            text.AppendLine("|---|---:|---:|---:|---:|---|");
            Row[] socket = [.. rows.Where(r => r.Size == size && r.Case.Socket)];
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| unix socket | {Measurement.Median([.. socket.Select(r => r.PacketsPerSecond)]):N0} | {Measurement.Median([.. socket.Select(r => r.GigabytesPerSecond)]):0.000} | 1 | (reference) | {Regimes(socket)} |");
            foreach (PacketCase c in modes.Select(m => PacketCase.OfRing(m, true, size)).Concat(offModes.Select(m => PacketCase.OfRing(m, false, size))))
            {
                Row[] row = [.. rows.Where(r => r.Case == c)];
                double[] ratios = [.. row.Select(r => r.Ratio)];
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {c.Label} | {Measurement.Median([.. row.Select(r => r.PacketsPerSecond)]):N0} | {Measurement.Median([.. row.Select(r => r.GigabytesPerSecond)]):0.000} | " +
                    $"{Measurement.Median(ratios):0.00} | {ratios.Min():0.00}..{ratios.Max():0.00} | {Regimes(row)} |");
            }
        }

        if (offModes.Length > 0)
        {
            text.AppendLine();
            text.AppendLine("#### every feature on against every feature off (same block, per repetition: off / on)");
            text.AppendLine();
            text.AppendLine("| mode | size | median packets/s all on | median packets/s all off | median off / on | min..max |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|");
            foreach (NetGrantModes mode in offModes.Where(modes.Contains))
            {
                foreach (int size in sizes)
                {
                    Row[] on = [.. rows.Where(r => r.Case == PacketCase.OfRing(mode, true, size)).OrderBy(r => r.Block)];
                    Row[] off = [.. rows.Where(r => r.Case == PacketCase.OfRing(mode, false, size)).OrderBy(r => r.Block)];
                    double[] ratios = [.. on.Zip(off, (a, b) => b.PacketsPerSecond / a.PacketsPerSecond)];
                    text.AppendLine(CultureInfo.InvariantCulture,
                        $"| {mode.ToName()} | {size} | {Measurement.Median([.. on.Select(r => r.PacketsPerSecond)]):N0} | {Measurement.Median([.. off.Select(r => r.PacketsPerSecond)]):N0} | " +
                        $"{Measurement.Median(ratios):0.00} | {ratios.Min():0.00}..{ratios.Max():0.00} |");
                }
            }
        }

        text.AppendLine();
        text.AppendLine("Per block: packets/s of the socket (geometric mean of its two runs) and each ring case's ratio to it.");
        text.AppendLine();
        PacketCase[] ringCases = [.. modes.Select(m => PacketCase.OfRing(m, true, 0)).Concat(offModes.Select(m => PacketCase.OfRing(m, false, 0)))];
        text.AppendLine($"| block | size | regime (probe ns) | socket packets/s | {string.Join(" | ", ringCases.Select(c => c.Label))} |");
        text.AppendLine($"|---:|---:|---|---:|{string.Concat(ringCases.Select(_ => "---:|"))}");
        for (int b = 0; b < blocks.Count; b++)
        {
            Row[] row = [.. rows.Where(r => r.Block == b)];
            string ratios = string.Join(" | ", ringCases.Select(c => row.First(r => r.Case == c with { Size = row[0].Size }).Ratio.ToString("0.00", CultureInfo.InvariantCulture)));
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {b + 1} | {row[0].Size} | {row[0].Regime} ({probes[b].Before:0}/{probes[b].After:0}) | {row[0].SocketPacketsPerSecond:N0} | {ratios} |");
        }

        text.AppendLine();
        text.AppendLine("Negotiated (as the back end printed it):");
        text.AppendLine();
        foreach (IGrouping<string, Row> group in rows.Where(r => !r.Case.Socket).GroupBy(r => r.Case.Key))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {group.First().Case.Label}: `{group.First().Agreed}`");
        }

        return text.ToString();
    }

    private static string Regimes(Row[] rows) =>
        $"{rows.Count(r => r.Regime == "near")}/{rows.Count(r => r.Regime == "far")}/{rows.Count(r => r.Regime is not ("near" or "far"))}";

    private static List<Row> Rows(List<PacketCase[]> blocks, RunResult[] results, (double Before, double After)[] probes)
    {
        var rows = new List<Row>();
        int run = 0;
        for (int b = 0; b < blocks.Count; b++)
        {
            RunResult[] block = results[run..(run + blocks[b].Length)];
            run += blocks[b].Length;
            double socket = Math.Sqrt(block[0].PacketsPerSecond * block[^1].PacketsPerSecond);
            string regime = RegimeProbe.Regime(probes[b].Before, probes[b].After);
            rows.AddRange(block.Select(r => new Row(b, r.Case, r.Case.Size, r.PacketsPerSecond, r.BytesPerSecond / 1e9, socket, r.PacketsPerSecond / socket, regime, r.Agreed)));
        }

        return rows;
    }

    private static IEnumerable<string> Csv(List<PacketCase[]> blocks, RunResult[] results, (double Before, double After)[] probes) =>
        Rows(blocks, results, probes).Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Block + 1},{r.Size},{r.Case.Key},{r.PacketsPerSecond:0},{r.GigabytesPerSecond:0.0000},{r.SocketPacketsPerSecond:0},{r.Ratio:0.0000}," +
            $"{probes[r.Block].Before:0},{probes[r.Block].After:0},{r.Regime},\"{r.Agreed}\""));

    private readonly record struct Row(
        int Block, PacketCase Case, int Size, double PacketsPerSecond, double GigabytesPerSecond, double SocketPacketsPerSecond, double Ratio, string Regime, string Agreed);
}
