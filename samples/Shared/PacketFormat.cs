// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PvRing.Transport;

namespace PvRing.Samples;

/// <summary>
/// What every sample packet carries, so the receiver can prove it arrived once, in order and intact.
/// <code>
///  0               4               8                               16
///  +---------------+---------------+-------------------------------+------------------ ... --+
///  | sequence (low | CRC32C        | send timestamp                | payload (bytes of a     |
///  | 32 bits, LE)  | (LE)          | (Stopwatch ticks, LE)         | seeded random buffer)   |
///  +---------------+---------------+-------------------------------+------------------ ... --+
/// </code>
/// The CRC32C covers the packet's length and every byte except its own four, the timestamp included. The timestamp is
/// <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>: CLOCK_MONOTONIC on Linux, one clock for every process on the
/// machine, so the receiver's reading minus the sender's is the one-way latency.
/// A packet shorter than the header (1 to 15 bytes) has no room for it: each of its bytes is derived from its sequence
/// number and position instead, and the receiver checks every byte (no timestamp, so no latency sample).
/// </summary>
internal static class PacketFormat
{
    public const int HeaderSize = 16;

    private const int ChecksumOffset = 4;
    private const int TimestampOffset = 8;

    /// <summary>Writes the header of packet <paramref name="sequence"/> over its first bytes and seals it with the checksum.</summary>
    public static void Stamp(Span<byte> packet, long sequence, long timestamp)
    {
        if (packet.Length < HeaderSize)
        {
            for (int i = 0; i < packet.Length; i++)
            {
                packet[i] = ShortPacketByte(sequence, i);
            }

            return;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(packet, (uint)sequence);
        BinaryPrimitives.WriteInt64LittleEndian(packet[TimestampOffset..], timestamp);
        uint crc = Start(packet.Length);
        crc = Append(crc, packet[..ChecksumOffset]);
        crc = Append(crc, packet[TimestampOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(packet[ChecksumOffset..], ~crc);
    }

    /// <summary>
    /// Checks one received packet, given as its segments (the receiver never copies it): null when it is packet
    /// <paramref name="sequence"/> and intact, else what is wrong. <paramref name="timestamp"/> is the send time (0 for a short packet).
    /// </summary>
    public static string? Verify(NetPacket packet, long sequence, out long timestamp)
    {
        // Segment 0 holds the whole header: every segment but the last is a full 4 KiB page.
        ReadOnlySpan<byte> first = packet.GetSegment(0);
        if (packet.Length < HeaderSize)
        {
            timestamp = 0;
            return VerifyShort(first, sequence);
        }

        uint crc = HeaderChecksum(first, packet.Length);
        for (int i = 1; i < packet.SegmentCount; i++)
        {
            crc = Append(crc, packet.GetSegment(i));
        }

        return Finish(first, packet.Length, packet.SegmentCount, crc, sequence, out timestamp);
    }

    /// <summary>The same check for a packet in one piece (the application API's <c>PvRingPacket</c>).</summary>
    public static string? Verify(ReadOnlySpan<byte> packet, long sequence, out long timestamp)
    {
        if (packet.Length < HeaderSize)
        {
            timestamp = 0;
            return VerifyShort(packet, sequence);
        }

        return Finish(packet, packet.Length, 1, HeaderChecksum(packet, packet.Length), sequence, out timestamp);
    }

    private static string? VerifyShort(ReadOnlySpan<byte> packet, long sequence)
    {
        for (int i = 0; i < packet.Length; i++)
        {
            if (packet[i] != ShortPacketByte(sequence, i))
            {
                return $"packet {sequence} ({packet.Length} bytes, too short for a header) differs at byte {i}: {packet[i]} != {ShortPacketByte(sequence, i)}";
            }
        }

        return null;
    }

    // The checksum over the length and the first segment but its own four bytes; later segments are appended to it.
    private static uint HeaderChecksum(ReadOnlySpan<byte> first, int length) =>
        Append(Append(Start(length), first[..ChecksumOffset]), first[TimestampOffset..]);

    private static string? Finish(ReadOnlySpan<byte> first, int length, int slots, uint crc, long sequence, out long timestamp)
    {
        timestamp = 0;
        uint seenSequence = BinaryPrimitives.ReadUInt32LittleEndian(first);
        uint seenCrc = BinaryPrimitives.ReadUInt32LittleEndian(first[ChecksumOffset..]);
        if (~crc != seenCrc)
        {
            return $"packet {sequence} ({length} bytes in {slots} slots) fails its CRC32C: carried 0x{seenCrc:x8}, computed 0x{~crc:x8}";
        }

        if (seenSequence != (uint)sequence)
        {
            return $"expected packet {sequence} (low 32 bits {(uint)sequence}), got sequence {seenSequence}: lost, duplicated or reordered";
        }

        timestamp = BinaryPrimitives.ReadInt64LittleEndian(first[TimestampOffset..]);
        return null;
    }

    // The length goes in first, so a packet cut short (or padded) fails even if its bytes are right.
    private static uint Start(int length) => BitOperations.Crc32C(0xFFFF_FFFFu, (uint)length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int i = 0;
        for (; i + sizeof(ulong) <= data.Length; i += sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i)));
        }

        for (; i < data.Length; i++)
        {
            crc = BitOperations.Crc32C(crc, Unsafe.Add(ref start, i));
        }

        return crc;
    }

    private static byte ShortPacketByte(long sequence, int index) => (byte)((sequence * 131) + (index * 29) + 7);
}
