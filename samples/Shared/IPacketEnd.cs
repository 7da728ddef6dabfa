// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;
using PvRing.Transport;

namespace PvRing.Samples;

/// <summary>
/// What a <see cref="PacketPump{TEnd}"/> needs of one end of the queue. Each sample implements it as a struct over its
/// own queue type (<see cref="NetFrontQueue"/> or <see cref="NetBackQueue"/>), so the pump's loop is generic and the calls
/// are direct, not virtual.
/// </summary>
internal interface IPacketEnd
{
    /// <summary>The ring this end sends on: transmit for the front, receive for the back.</summary>
    NetDirections Sends { get; }

    /// <summary>Whether packets sent on <see cref="Sends"/> still wait for the peer (the front's transmit responses).</summary>
    bool SendsOutstanding { get; }

    bool TrySend(ReadOnlySpan<byte> packet);

    /// <summary>Takes the peer's answers to sent packets (the front's transmit responses); returns how many.</summary>
    int CompleteSends();

    int Receive(ref PacketVerifier verifier, int maxPackets);

    EventWaitResult Wait<TWait>(NetDirections directions, TWait strategy, TimeSpan timeout, CancellationToken cancellationToken)
        where TWait : struct, IWaitStrategy;
}
