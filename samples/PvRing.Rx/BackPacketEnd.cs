// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;
using PvRing.Samples;
using PvRing.Transport;

namespace PvRing.Rx;

/// <summary>
/// The back's queue as a pump sees it: it receives on the transmit ring and sends into the receive ring's posted buffers.
/// No lock: with two pumps (split event channels, both directions) each ring has its own thread and the queue gives
/// each ring its own grant mapper where the mode's mapper is single-threaded.
/// </summary>
internal readonly struct BackPacketEnd(NetBackQueue queue) : IPacketEnd
{
    public NetDirections Sends => NetDirections.Receive;

    public bool SendsOutstanding => false;

    public bool TrySend(ReadOnlySpan<byte> packet) => queue.TrySend(packet);

    public int CompleteSends() => 0;

    public int Receive(ref PacketVerifier verifier, int maxPackets) => queue.Receive(ref verifier, maxPackets);

    public EventWaitResult Wait<TWait>(NetDirections directions, TWait strategy, TimeSpan timeout, CancellationToken cancellationToken)
        where TWait : struct, IWaitStrategy => queue.Wait(directions, strategy, timeout, cancellationToken);
}
