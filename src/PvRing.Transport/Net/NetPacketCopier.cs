// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Transport;

/// <summary>The handler behind the queues' <c>TryReceive</c>: copies the one packet it is given into a caller's span.</summary>
internal ref struct NetPacketCopier(Span<byte> destination) : INetPacketHandler
{
    private readonly Span<byte> _destination = destination;

    public int Length { get; private set; }

    public void OnPacket(NetPacket packet) => Length = packet.CopyTo(_destination);
}
