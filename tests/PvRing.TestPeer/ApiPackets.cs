// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Numerics;

namespace PvRing.TestPeer;

/// <summary>
/// Packets the application-API peers exchange: packet i has a size drawn from i (1 to 65535 bytes), its sequence number
/// in the first 8 bytes when it has room, bytes derived from i, and a CRC32C of all that in the last 4 when it has room.
/// </summary>
internal static class ApiPackets
{
    public const int MaxSize = 65535;

    public static int SizeOf(long i) => 1 + (int)((ulong)(i * 2654435761L) % MaxSize);

    public static byte[] Make(long i)
    {
        var packet = new byte[SizeOf(i)];
        for (int k = 0; k < packet.Length; k++)
        {
            packet[k] = (byte)((i * 131) + (k * 7));
        }

        if (packet.Length >= 12)
        {
            BinaryPrimitives.WriteInt64LittleEndian(packet, i);
            BinaryPrimitives.WriteUInt32LittleEndian(packet.AsSpan(packet.Length - 4), Crc(packet.AsSpan(0, packet.Length - 4)));
        }

        return packet;
    }

    /// <exception cref="InvalidDataException">The packet is not packet <paramref name="i"/>.</exception>
    public static void Check(ReadOnlySpan<byte> packet, long i)
    {
        if (!packet.SequenceEqual(Make(i)))
        {
            throw new InvalidDataException($"packet {i}: {packet.Length} bytes, expected {SizeOf(i)}, or its bytes differ (sequence or CRC32C)");
        }
    }

    /// <summary>The CRC32C of <paramref name="bytes"/> (eight bytes a step, then the rest; the same as byte by byte).</summary>
    public static uint Crc(ReadOnlySpan<byte> bytes)
    {
        uint crc = ~0u;
        int k = 0;
        for (; k + 8 <= bytes.Length; k += 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(bytes[k..]));
        }

        for (; k < bytes.Length; k++)
        {
            crc = BitOperations.Crc32C(crc, bytes[k]);
        }

        return ~crc;
    }
}
