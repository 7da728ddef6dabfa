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
        Record(packet.Length, PacketFormat.Verify(packet, Received, out long sent), sent, now);
    }

    /// <summary>Checks and counts a packet in one piece (the application API's lent packet).</summary>
    public void OnPacket(ReadOnlySpan<byte> packet)
    {
        long now = Stopwatch.GetTimestamp();
        Record(packet.Length, PacketFormat.Verify(packet, Received, out long sent), sent, now);
    }

    private void Record(int length, string? error, long sent, long now)
    {
        if (error is not null)
        {
            throw new InvalidDataException(error);
        }

        if (length >= PacketFormat.HeaderSize)
        {
            _latency.Record(sent, now);
        }

        if (Received == 0)
        {
            FirstTimestamp = now;
        }

        LastTimestamp = now;
        Received++;
        Bytes += length;
    }
}
