// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Diagnostics;
using PvRing.Transport;

namespace PvRing.TestPeer;

/// <summary>
/// The multiqueue exchange both ends of a test run: on every queue, one worker (<see cref="PvRingConnection.RunWorkers"/>)
/// sends <c>count</c> packets and receives <c>count</c>, interleaved so neither end waits on the other's full ring.
/// Packet i of queue q alternates 64 and 65535 bytes and carries q, i and a CRC32C; the receiver checks every one, in order
/// per queue. Bounded: a worker that has not finished by the deadline fails.
/// </summary>
internal static class QueueExchange
{
    public const int SmallSize = 64;
    public const int LargeSize = 65535;

    public static int SizeOf(long i) => i % 2 == 0 ? SmallSize : LargeSize;

    /// <summary>Runs the exchange on every queue of <paramref name="connection"/>; returns the packets each queue received.</summary>
    /// <exception cref="AggregateException">A worker failed: a packet out of order or corrupt, or the deadline passed.</exception>
    public static long[] Run(PvRingConnection connection, long count, TimeSpan deadline)
    {
        var received = new long[connection.Queues.Count];
        connection.RunWorkers((queue, _) => received[queue.Index] = Exchange(queue, count, deadline)).GetAwaiter().GetResult();
        return received;
    }

    private static long Exchange(PvRingQueue queue, long count, TimeSpan deadline)
    {
        long end = Stopwatch.GetTimestamp() + (long)(deadline.TotalSeconds * Stopwatch.Frequency);
        var outgoing = new byte[LargeSize];
        var incoming = new byte[LargeSize];
        long sent = 0;
        long received = 0;
        int length = Fill(outgoing, queue.Index, 0);
        for (long spins = 0; sent < count || received < count; spins++)
        {
            bool progress = false;
            if (sent < count && queue.TrySend(outgoing.AsSpan(0, length)))
            {
                sent++;
                length = sent < count ? Fill(outgoing, queue.Index, sent) : 0;
                progress = true;
            }

            if (received < count && queue.TryReceive(incoming, out int got))
            {
                Check(incoming.AsSpan(0, got), queue.Index, received);
                received++;
                progress = true;
            }

            if (!progress && (spins & 1023) == 0 && Stopwatch.GetTimestamp() > end)
            {
                throw new TimeoutException($"queue {queue.Index}: {sent} of {count} sent and {received} of {count} received when the deadline passed");
            }
        }

        return received;
    }

    private static int Fill(byte[] packet, int queue, long i)
    {
        int size = SizeOf(i);
        for (int k = 12; k < size - 4; k++)
        {
            packet[k] = (byte)((i * 131) + (k * 7) + queue);
        }

        BinaryPrimitives.WriteInt32LittleEndian(packet, queue);
        BinaryPrimitives.WriteInt64LittleEndian(packet.AsSpan(4), i);
        BinaryPrimitives.WriteUInt32LittleEndian(packet.AsSpan(size - 4), ApiPackets.Crc(packet.AsSpan(0, size - 4)));
        return size;
    }

    private static void Check(ReadOnlySpan<byte> packet, int queue, long i)
    {
        int q = packet.Length >= 12 ? BinaryPrimitives.ReadInt32LittleEndian(packet) : -1;
        long sequence = packet.Length >= 12 ? BinaryPrimitives.ReadInt64LittleEndian(packet[4..]) : -1;
        if (packet.Length != SizeOf(i) || q != queue || sequence != i)
        {
            throw new InvalidDataException($"queue {queue}: expected packet {i} of {SizeOf(i)} bytes, got {packet.Length} bytes from queue {q}, sequence {sequence}");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(packet[^4..]) != ApiPackets.Crc(packet[..^4]))
        {
            throw new InvalidDataException($"queue {queue}: packet {i} fails its CRC32C");
        }
    }
}
