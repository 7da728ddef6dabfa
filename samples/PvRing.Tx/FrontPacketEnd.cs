// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;
using PvRing.Samples;
using PvRing.Transport;

namespace PvRing.Tx;

/// <summary>
/// The front's queue as a pump sees it: it sends on the transmit ring and receives on the receive ring. No lock: the
/// queue's transmit methods belong to one thread and its receive methods to one thread (<see cref="NetFrontQueue"/>).
/// </summary>
internal readonly struct FrontPacketEnd(NetFrontQueue queue) : IPacketEnd
{
    public NetDirections Sends => NetDirections.Transmit;

    public bool SendsOutstanding => queue.TransmitRing.OutstandingRequests > 0;

    public bool TrySend(ReadOnlySpan<byte> packet) => queue.TrySend(packet);

    public int CompleteSends() => queue.CompleteTransmits();

    public int Receive(ref PacketVerifier verifier, int maxPackets) => queue.Receive(ref verifier, maxPackets);

    public EventWaitResult Wait<TWait>(NetDirections directions, TWait strategy, TimeSpan timeout, CancellationToken cancellationToken)
        where TWait : struct, IWaitStrategy => queue.Wait(directions, strategy, timeout, cancellationToken);
}
