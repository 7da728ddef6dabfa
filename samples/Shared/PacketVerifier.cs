// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using PvRing.Transport;

namespace PvRing.Samples;

/// <summary>
/// The receiving pump's handler: checks each packet in place (sequence, length, CRC32C; <see cref="PacketFormat"/>),
/// records its one-way latency and counts it. A bad packet throws <see cref="InvalidDataException"/>, which ends the run
/// with exit code 1.
/// </summary>
internal struct PacketVerifier : INetPacketHandler
{
    private readonly LatencyHistogram _latency;

    public PacketVerifier(LatencyHistogram latency)
    {
        _latency = latency;
    }

    public long Received { get; private set; }

    public long Bytes { get; private set; }

    public long FirstTimestamp { get; private set; }

    public long LastTimestamp { get; private set; }

    public void OnPacket(NetPacket packet)
    {
        long now = Stopwatch.GetTimestamp();
        string? error = PacketFormat.Verify(packet, Received, out long sent);
        if (error is not null)
        {
            throw new InvalidDataException(error);
        }

        if (packet.Length >= PacketFormat.HeaderSize)
        {
            _latency.Record(sent, now);
        }

        if (Received == 0)
        {
            FirstTimestamp = now;
        }

        LastTimestamp = now;
        Received++;
        Bytes += packet.Length;
    }
}
