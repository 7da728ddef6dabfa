// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using PvRing.Transport;

namespace PvRing.Harness;

/// <summary>
/// The back's receive handler in <c>packets</c>: checks that each packet has the run's size and carries the next sequence
/// number in its first 8 bytes, and reads its last byte, so the first and the last page of every packet are really
/// reached. It copies nothing: in the zero-copy modes the application gets the granted page itself, which is the point
/// of them (the socket's receive, by contrast, has to copy into the reader's buffer).
/// </summary>
internal struct PacketSequenceHandler(int size) : INetPacketHandler
{
    public long Received { get; private set; }

    /// <summary>Set once a packet was wrong: its sequence number (or -1 when the length was wrong).</summary>
    public long Wrong { get; private set; } = long.MinValue;

    /// <summary>A checksum of the last bytes read, so the JIT cannot drop the read.</summary>
    public int Touched { get; private set; }

    public void OnPacket(NetPacket packet)
    {
        ReadOnlySpan<byte> first = packet.GetSegment(0);
        if (packet.Length != size || first.Length < sizeof(long))
        {
            Wrong = -1;
            return;
        }

        long sequence = BinaryPrimitives.ReadInt64LittleEndian(first);
        if (sequence != Received && Wrong == long.MinValue)
        {
            Wrong = sequence;
        }

        ReadOnlySpan<byte> last = packet.GetSegment(packet.SegmentCount - 1);
        Touched += last[^1];
        Received++;
    }
}
