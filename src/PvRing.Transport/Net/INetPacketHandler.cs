// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Transport;

/// <summary>
/// What a receive loop calls for each packet, in order. Implement it on a struct: the loop is specialised for it, so the
/// call is direct and nothing is allocated.
/// </summary>
public interface INetPacketHandler
{
    /// <summary>Takes one packet; its bytes are valid only during this call.</summary>
    void OnPacket(NetPacket packet);
}
