// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using PvRing.Transport;

namespace PvRing.Samples;

/// <summary>
/// The samples' byte mode (<c>--name NAME</c>): nothing but the application API, <see cref="PvRingListener"/> and
/// <see cref="PvRingConnection"/>. One task sends numbered, CRC32C-sealed packets with <c>SendAsync</c> (back-pressure:
/// it waits for ring space), one receives them with <c>ReceivePacketAsync</c> (lent in place up to one page) and checks
/// each (<see cref="PacketFormat"/>); both report packets/s, GB/s and one-way latency as the store mode does.
/// </summary>
internal static class ConnectionMode
{
    public const string Usage = """
          --name NAME     byte mode, through the application API only (PvRingListener, PvRingConnection): meet the other
                          side by NAME in the host directory; the listener (PvRing.Rx) hosts the store, the connecting side
                          (PvRing.Tx) claims a domain; they move numbered, CRC32C-checked packets as --direction says
          --queues N      with --name: multiqueue (hackathon item E): Tx wants N queues (default 1), Rx offers at most N
                          (default one per CPU, at most 16); with several, every queue has a worker thread on its own CPU
                          (spread over the cores, on the front's NUMA node where there are several) moving --count
                          packets each way, and each queue's CPU and packets/s are printed
        """;

    /// <summary>The <c>--queues</c> option: how many queues Tx wants or Rx offers at most.</summary>
    public static int ParseQueues(SampleArguments arguments, string usage, int defaultValue) =>
        (int)arguments.GetInt64("--queues", defaultValue, 1, NetDeviceFeatures.MaxQueues, usage);

    /// <summary>
    /// The exit code of one connection's run: 0 every packet both ways, 1 a bad packet, 2 the peer left or went idle. With
    /// <paramref name="count"/> <see cref="long.MaxValue"/> (a listener serving without a count) the run lasts until the
    /// peer closes, which is then the normal end.
    /// </summary>
    public static async Task<int> RunAsync(
        string side, PvRingConnection connection, PacketOptions packets, long count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // The front's transmit ring carries what the front sends; the back sends on the front's receive ring.
        NetDirections sendRing = connection.IsFrontEnd ? NetDirections.Transmit : NetDirections.Receive;
        bool sends = (packets.Directions & sendRing) != 0;
        bool receives = (packets.Directions & ~sendRing & NetDirections.Both) != 0;
        string sendName = connection.IsFrontEnd ? "tx" : "rx";
        string receiveName = connection.IsFrontEnd ? "rx" : "tx";
        Console.WriteLine($"{side}: connected: {connection.Features} ({connection.Features.Variant})");
        if (connection.Queues.Count > 1)
        {
            Console.WriteLine($"{side}: placement: {connection.Placement}");
            return RunQueues(side, connection, packets, count, timeout, sends, receives, cancellationToken);
        }

        // No progress for the timeout cancels both tasks; every thousand packets re-arms it.
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(timeout);
        var sender = new Sender(packets.Sizes);
        var receiver = new Receiver();
        Task sending = sends ? sender.RunAsync(connection, count, timeout, idle) : Task.CompletedTask;
        Task<string?> receiving = receives ? receiver.RunAsync(connection, count, timeout, idle) : Task.FromResult<string?>(null);
        int exit = 0;
        try
        {
            await Task.WhenAll(sending, receiving);
            if (await receiving is string early)
            {
                Console.Error.WriteLine($"{side}: {early}");
                exit = 2;
            }
        }
        catch (Exception e) when (e is InvalidDataException or PvRingProtocolException)
        {
            Console.Error.WriteLine($"{side}: {(e is InvalidDataException ? "bad packet" : "protocol failure")}: {e.Message}");
            exit = 1;
        }
        catch (Exception e) when (e is OperationCanceledException or PvRingException)
        {
            Console.Error.WriteLine(cancellationToken.IsCancellationRequested ? $"{side}: interrupted"
                : e is OperationCanceledException ? $"{side}: no progress for {timeout.TotalSeconds:0} s; does the other side use the same --direction?"
                : $"{side}: the peer left: {e.Message}");
            exit = cancellationToken.IsCancellationRequested ? Interruption.ExitCode : 2;
        }

        if (sends)
        {
            PacketSession.ReportSent(side, sendName, sender.Sent, sender.SentBytes, sender.FirstTimestamp, sender.LastTimestamp);
        }

        if (receives)
        {
            PacketVerifier done = receiver.Verifier;
            PacketSession.ReportReceived(side, receiveName, done.Received, done.Bytes, done.FirstTimestamp, done.LastTimestamp, receiver.Latency);
        }

        if (exit == 0)
        {
            Console.WriteLine(count == long.MaxValue
                ? $"{side}: the peer closed; every packet received was verified, once and in order"
                : $"{side}: done: {count:N0} packets per direction, every one verified by its receiver, once and in order");
        }

        return exit;
    }

    /// <summary>
    /// Several queues: one worker per queue (<see cref="PvRingConnection.RunWorkers"/>, pinned as the placement chose), each
    /// sending and receiving its own numbered packets in one loop; each queue is reported on its own.
    /// </summary>
    private static int RunQueues(
        string side, PvRingConnection connection, PacketOptions packets, long count, TimeSpan timeout, bool sends, bool receives, CancellationToken cancellationToken)
    {
        var workers = connection.Queues.Select(q => new QueueWorker(q, packets.Sizes, sends ? count : 0, receives ? count : 0, count == long.MaxValue)).ToArray();
        int exit = 0;
        try
        {
            connection.RunWorkers((queue, token) => workers[queue.Index].Run(connection, timeout, token), cancellationToken).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is InvalidDataException or PvRingProtocolException)
        {
            Console.Error.WriteLine($"{side}: {(e is InvalidDataException ? "bad packet" : "protocol failure")}: {e.Message}");
            exit = 1;
        }
        catch (Exception e) when (e is OperationCanceledException or PvRingException or TimeoutException)
        {
            Console.Error.WriteLine(cancellationToken.IsCancellationRequested ? $"{side}: interrupted" : $"{side}: {e.Message}");
            exit = cancellationToken.IsCancellationRequested ? Interruption.ExitCode : 2;
        }

        string sendName = connection.IsFrontEnd ? "tx" : "rx";
        string receiveName = connection.IsFrontEnd ? "rx" : "tx";
        foreach (QueueWorker worker in workers)
        {
            PvRingQueue queue = worker.Queue;
            Console.WriteLine($"{side}: queue {queue.Index}: {(queue.Cpu >= 0 ? $"cpu {queue.Cpu}" : "not pinned")}");
            if (sends)
            {
                PacketSession.ReportSent(side, $"{sendName}-q{queue.Index}", worker.Sent, worker.SentBytes, worker.FirstTimestamp, worker.LastTimestamp);
            }

            if (receives)
            {
                PacketVerifier done = worker.Verifier;
                PacketSession.ReportReceived(side, $"{receiveName}-q{queue.Index}", done.Received, done.Bytes, done.FirstTimestamp, done.LastTimestamp, worker.Latency);
            }
        }

        if (exit == 0)
        {
            Console.WriteLine(count == long.MaxValue
                ? $"{side}: the peer closed; every packet received was verified, once and in order per queue"
                : $"{side}: done: {count:N0} packets per direction on each of {workers.Length} queues, every one verified by its receiver, once and in order per queue");
        }

        return exit;
    }

    /// <summary>One queue's worker: its own payload, numbering, verifier and latency histogram; sends and receives in one loop.</summary>
    private sealed class QueueWorker
    {
        private readonly PvRingQueue queue;
        private readonly PacketSizes sizes;
        private readonly long toSend;
        private readonly long toReceive;
        private readonly bool untilPeerLeaves;
        private readonly byte[] _source;

        // A field, not a property: the verifier is a struct that counts as it checks.
        public PacketVerifier Verifier;

        public QueueWorker(PvRingQueue queue, PacketSizes sizes, long toSend, long toReceive, bool untilPeerLeaves)
        {
            this.queue = queue;
            this.sizes = sizes;
            this.toSend = toSend;
            this.toReceive = toReceive;
            this.untilPeerLeaves = untilPeerLeaves;
            _source = Sender.CreateSource(sizes);
            Verifier = new PacketVerifier(Latency);
        }

        public PvRingQueue Queue => queue;

        public LatencyHistogram Latency { get; } = new();

        public long Sent { get; private set; }

        public long SentBytes { get; private set; }

        public long FirstTimestamp { get; private set; }

        public long LastTimestamp { get; private set; }

        public void Run(PvRingConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
        {
            long idleTicks = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            long lastProgress = Stopwatch.GetTimestamp();
            while ((Sent < toSend || Verifier.Received < toReceive) && !cancellationToken.IsCancellationRequested)
            {
                bool progress = false;
                if (Sent < toSend)
                {
                    int offset = (int)((Sent & 1023) * 64);
                    int length = sizes.SizeOf(Sent);
                    Span<byte> packet = _source.AsSpan(offset, length);
                    PacketFormat.Stamp(packet, Sent, Stopwatch.GetTimestamp());
                    bool sent;
                    try
                    {
                        sent = queue.TrySend(packet);
                    }
                    catch (PvRingException) when (untilPeerLeaves && connection.IsPeerGone)
                    {
                        return; // serving until the peer leaves: it left
                    }

                    if (sent)
                    {
                        long now = Stopwatch.GetTimestamp();
                        FirstTimestamp = Sent == 0 ? now : FirstTimestamp;
                        LastTimestamp = now;
                        Sent++;
                        SentBytes += length;
                        progress = true;
                    }
                }

                if (Verifier.Received < toReceive && queue.TryReceivePacket(out PvRingPacket received))
                {
                    using (received)
                    {
                        Verifier.OnPacket(received.Span);
                    }

                    progress = true;
                }

                if (progress)
                {
                    lastProgress = Stopwatch.GetTimestamp();
                }
                else if (connection.IsPeerGone && !queue.TryReceivePacket(out _))
                {
                    if (untilPeerLeaves)
                    {
                        return;
                    }

                    throw new PvRingException($"the peer left: queue {queue.Index} sent {Sent:N0} and received {Verifier.Received:N0} of {toReceive:N0}");
                }
                else if (Stopwatch.GetTimestamp() - lastProgress > idleTicks)
                {
                    throw new TimeoutException($"no progress on queue {queue.Index} for {timeout.TotalSeconds:0} s (sent {Sent:N0}, received {Verifier.Received:N0})");
                }
                else
                {
                    Thread.Yield(); // more spinning workers than CPUs is common on small machines
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The receiving task: every packet checked in place, then given back.</summary>
    private sealed class Receiver
    {
        // A field, not a property: the verifier is a struct that counts as it checks.
        public PacketVerifier Verifier;

        public Receiver() => Verifier = new PacketVerifier(Latency);

        public LatencyHistogram Latency { get; } = new();

        public async Task<string?> RunAsync(PvRingConnection connection, long count, TimeSpan timeout, CancellationTokenSource idle)
        {
            for (long i = 0; i < count; i++)
            {
                using PvRingPacket packet = await connection.ReceivePacketAsync(idle.Token);
                if (packet.IsEmpty)
                {
                    return count == long.MaxValue ? null : $"the peer closed after {i:N0} of {count:N0} packets";
                }

                Verifier.OnPacket(packet.Span);
                if ((i & 1023) == 1023)
                {
                    idle.CancelAfter(timeout);
                }
            }

            return null;
        }
    }

    /// <summary>The sending task: the same payload as the store mode's pump (a seeded random buffer, packet i at 64 * (i mod 1024)).</summary>
    private sealed class Sender(PacketSizes sizes)
    {
        private readonly byte[] _source = CreateSource(sizes);

        public long Sent { get; private set; }

        public long SentBytes { get; private set; }

        public long FirstTimestamp { get; private set; }

        public long LastTimestamp { get; private set; }

        public async Task RunAsync(PvRingConnection connection, long count, TimeSpan timeout, CancellationTokenSource idle)
        {
            while (Sent < count)
            {
                int offset = (int)((Sent & 1023) * 64);
                int length = sizes.SizeOf(Sent);
                Memory<byte> packet = _source.AsMemory(offset, length);
                PacketFormat.Stamp(packet.Span, Sent, Stopwatch.GetTimestamp());
                try
                {
                    await connection.SendAsync(packet, idle.Token);
                }
                catch (PvRingException) when (count == long.MaxValue && connection.IsPeerGone)
                {
                    return; // serving until the peer leaves: it left
                }

                long now = Stopwatch.GetTimestamp();
                FirstTimestamp = Sent == 0 ? now : FirstTimestamp;
                LastTimestamp = now;
                Sent++;
                SentBytes += length;
                if ((Sent & 1023) == 0)
                {
                    idle.CancelAfter(timeout);
                }
            }
        }

        public static byte[] CreateSource(PacketSizes sizes)
        {
            var source = new byte[2 * (NetPacketLimits.MaxPacketSize + 1)];
            new Random((int)sizes.Seed).NextBytes(source);
            return source;
        }
    }
}
