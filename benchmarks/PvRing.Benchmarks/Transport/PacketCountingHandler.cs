// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Transport;

namespace PvRing.Benchmarks.Transport;

/// <summary>
/// Takes each packet without copying it: counts it and reads its first and last byte, so both ends of the packet are
/// really reached through the lease (a bounce buffer in copy mode, the granted page itself in the other modes).
/// </summary>
internal struct PacketCountingHandler : INetPacketHandler
{
    public long Received;
    public int Touched;

    public void OnPacket(NetPacket packet)
    {
        Touched += packet.GetSegment(0)[0] + packet.GetSegment(packet.SegmentCount - 1)[^1];
        Received++;
    }
}
