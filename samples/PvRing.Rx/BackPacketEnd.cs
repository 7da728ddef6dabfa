// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;
using PvRing.Rings;
using PvRing.Samples;
using PvRing.Transport;

namespace PvRing.Rx;

/// <summary>
/// The back's queue as a pump sees it: it receives on the transmit ring and sends into the receive ring's posted buffers.
/// With two pumps (split event channels, both directions) the two calls that touch the grant mapper are serialised by
/// <c>gate</c>: the queue shares one mapper between its rings, and the persistent mapper is documented as one thread's
/// (<see cref="PvRing.Grants.PersistentGrantMapper"/>). The waits stay outside the gate, so each pump sleeps on its own channel.
/// </summary>
internal readonly struct BackPacketEnd(NetBackQueue queue, object? gate) : IPacketEnd
{
    public NetDirections Sends => NetDirections.Receive;

    public bool SendsOutstanding => false;

    public bool TrySend(ReadOnlySpan<byte> packet)
    {
        if (gate is null)
        {
            return queue.TrySend(packet);
        }

        lock (gate)
        {
            return queue.TrySend(packet);
        }
    }

    public int CompleteSends() => 0;

    public int Receive(ref PacketVerifier verifier, int maxPackets)
    {
        if (gate is null)
        {
            return queue.Receive(ref verifier, maxPackets);
        }

        lock (gate)
        {
            return queue.Receive(ref verifier, maxPackets);
        }
    }

    public RingWaitResult Wait<TWait>(NetDirections directions, TWait strategy, TimeSpan timeout, CancellationToken cancellationToken)
        where TWait : struct, IWaitStrategy => queue.Wait(directions, strategy, timeout, cancellationToken);
}
