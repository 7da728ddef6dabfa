// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Transport;

/// <summary>
/// A received packet lent to the application (<see cref="PvRingConnection.ReceivePacketAsync"/>): its bytes are in
/// <see cref="Memory"/> and <see cref="Span"/> until <see cref="Dispose"/> gives it back. A default (empty) packet, with
/// <see cref="Length"/> 0, is the end of the stream: the peer closed and every packet it sent was taken.
/// </summary>
/// <remarks>
/// <para>Zero copy: a packet of one page (up to 4096 bytes) is the shared receive buffer itself, held out of the ring
/// until it is disposed. A longer packet, which arrives in several page-sized slots, is gathered into a pooled buffer
/// (one copy) and its slots go back at once; so is every packet while half the ring's slots (at most 64) are lent.</para>
/// <para>Rules: dispose every packet, promptly (each one held is a buffer the peer cannot fill), from the code that
/// receives, not concurrently with a receive call on the same connection, and before the connection is disposed. Do not
/// use <see cref="Memory"/> after <see cref="Dispose"/>; disposing twice does nothing. The bytes are in memory the peer
/// shares: a peer that breaks the protocol could change them while you read, so copy what you must validate and then
/// trust (<see cref="PvRingConnection.ReceiveAsync"/> always copies).</para>
/// </remarks>
public readonly struct PvRingPacket : IDisposable
{
    private readonly PvRingPacketLeases? _leases;
    private readonly int _index;
    private readonly int _version;

    internal PvRingPacket(PvRingPacketLeases leases, int index, int version, ReadOnlyMemory<byte> memory)
    {
        _leases = leases;
        _index = index;
        _version = version;
        Memory = memory;
    }

    /// <summary>The packet's bytes (empty for the end of the stream).</summary>
    public ReadOnlyMemory<byte> Memory { get; }

    /// <summary>The packet's bytes as a span.</summary>
    public ReadOnlySpan<byte> Span => Memory.Span;

    /// <summary>The packet's length in bytes: 1 to 65535, or 0 for the end of the stream.</summary>
    public int Length => Memory.Length;

    /// <summary>Whether this is the end of the stream (no packet: the peer closed).</summary>
    public bool IsEmpty => Memory.IsEmpty;

    /// <summary>Gives the packet back: its buffer returns to the ring (or its pooled copy to the pool).</summary>
    public void Dispose() => _leases?.Return(_index, _version);
}
