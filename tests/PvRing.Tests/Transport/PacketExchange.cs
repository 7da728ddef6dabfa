// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Diagnostics;
using PvRing.Transport;

namespace PvRing.Tests.Transport;

/// <summary>
/// Moves numbered, checksummed packets between a connected front and back in one thread (send what fits, then receive),
/// and checks that every packet arrives once, in order, intact. Bounded by <see cref="Timeout"/>.
/// </summary>
internal static class PacketExchange
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Sends <paramref name="count"/> packets in each of <paramref name="directions"/>; <paramref name="size"/> gives packet i's length.</summary>
    public static void Run(NetFrontend front, NetBackend back, NetDirections directions, int count, Func<long, int> size)
    {
        NetFrontQueue frontQueue = front.Queue;
        NetBackQueue backQueue = back.Queue;
        var buffer = new byte[NetPacketLimits.MaxPacketSize];
        var toBack = new Checker(size);
        var toFront = new Checker(size);
        long sentToBack = 0;
        long sentToFront = 0;
        bool transmit = (directions & NetDirections.Transmit) != 0;
        bool receive = (directions & NetDirections.Receive) != 0;
        var clock = Stopwatch.StartNew();
        while ((transmit && toBack.Received < count) || (receive && toFront.Received < count))
        {
            Assert.True(clock.Elapsed < Timeout, $"stalled: to back {toBack.Received}/{count} (sent {sentToBack}), to front {toFront.Received}/{count} (sent {sentToFront})");
            if (transmit && sentToBack < count)
            {
                int length = PacketPattern.Fill(buffer, sentToBack, size(sentToBack));
                if (frontQueue.TrySend(buffer.AsSpan(0, length)))
                {
                    sentToBack++;
                }
            }

            if (receive && sentToFront < count)
            {
                int length = PacketPattern.Fill(buffer, sentToFront, size(sentToFront));
                if (backQueue.TrySend(buffer.AsSpan(0, length)))
                {
                    sentToFront++;
                }
            }

            backQueue.Receive(ref toBack);
            frontQueue.Receive(ref toFront);
            frontQueue.CompleteTransmits();
        }

        Assert.Equal(transmit ? count : 0, toBack.Received);
        Assert.Equal(receive ? count : 0, toFront.Received);
    }

    /// <summary>Checks each packet's sequence number, length and pattern.</summary>
    internal struct Checker(Func<long, int> size) : INetPacketHandler
    {
        private byte[]? _copy;

        public long Received { get; private set; }

        public void OnPacket(NetPacket packet)
        {
            _copy ??= new byte[NetPacketLimits.MaxPacketSize];
            int length = packet.CopyTo(_copy);
            Assert.Equal(size(Received), length);
            PacketPattern.Verify(_copy.AsSpan(0, length), Received);
            Received++;
        }
    }
}

/// <summary>Packet contents a receiver can check: the sequence number, then bytes derived from it and their position.</summary>
internal static class PacketPattern
{
    public static int Fill(Span<byte> buffer, long sequence, int length)
    {
        Span<byte> packet = buffer[..length];
        for (int i = 0; i < packet.Length; i++)
        {
            packet[i] = Expected(sequence, i);
        }

        if (length >= 8)
        {
            BinaryPrimitives.WriteInt64LittleEndian(packet, sequence);
        }

        return length;
    }

    public static void Verify(ReadOnlySpan<byte> packet, long sequence)
    {
        if (packet.Length >= 8)
        {
            Assert.Equal(sequence, BinaryPrimitives.ReadInt64LittleEndian(packet));
        }

        for (int i = packet.Length >= 8 ? 8 : 0; i < packet.Length; i++)
        {
            if (packet[i] != Expected(sequence, i))
            {
                Assert.Fail($"packet {sequence} differs at byte {i} of {packet.Length}: {packet[i]} != {Expected(sequence, i)}");
            }
        }
    }

    private static byte Expected(long sequence, int index) => (byte)((sequence * 31) + (index * 7) + (index >> 12));
}
