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
        """;

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

        private static byte[] CreateSource(PacketSizes sizes)
        {
            var source = new byte[2 * (NetPacketLimits.MaxPacketSize + 1)];
            new Random((int)sizes.Seed).NextBytes(source);
            return source;
        }
    }
}
