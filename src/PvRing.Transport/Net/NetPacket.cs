// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Transport;

/// <summary>
/// One received packet, as the slots it arrived in: each segment is the granted page range itself (zero copy, in the
/// map, persistent, direct and deferred-unmap modes and on the front end's receive side) or a bounce buffer (copy mode).
/// Valid only during the <see cref="INetPacketHandler.OnPacket"/> call that receives it: copy what you keep.
/// </summary>
public readonly unsafe ref struct NetPacket
{
    private readonly ReadOnlySpan<PacketSegment> _segments;

    internal NetPacket(ReadOnlySpan<PacketSegment> segments, int length)
    {
        _segments = segments;
        Length = length;
    }

    /// <summary>The packet's length in bytes.</summary>
    public int Length { get; }

    /// <summary>How many slots (segments) it took, 1 to <see cref="NetPacketLimits.MaxSlots"/>.</summary>
    public int SegmentCount => _segments.Length;

    /// <summary>The bytes of segment <paramref name="index"/>, in order.</summary>
    /// <exception cref="IndexOutOfRangeException"><paramref name="index"/> is not below <see cref="SegmentCount"/>.</exception>
    public ReadOnlySpan<byte> GetSegment(int index)
    {
        PacketSegment segment = _segments[index];
        return new ReadOnlySpan<byte>(segment.Address, segment.Length);
    }

    /// <summary>Copies the whole packet to <paramref name="destination"/>; returns <see cref="Length"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Length"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int CopyTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} bytes; the packet has {Length}.", nameof(destination));
        }

        int written = 0;
        foreach (PacketSegment segment in _segments)
        {
            new ReadOnlySpan<byte>(segment.Address, segment.Length).CopyTo(destination[written..]);
            written += segment.Length;
        }

        return written;
    }
}

/// <summary>One slot's bytes of a packet.</summary>
internal unsafe struct PacketSegment
{
    public byte* Address;
    public int Length;
}
