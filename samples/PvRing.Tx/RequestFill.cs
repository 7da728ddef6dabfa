// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Tx;

/// <summary>
/// The front's fill: claims slots, writes numbered requests into them and publishes them at once. The ring benchmarks
/// of the harness link this file, so every ring benchmark runs the same fill loop as <see cref="TxLoop"/>.
/// </summary>
internal static class RequestFill
{
    /// <summary>
    /// Claims <paramref name="room"/> slots, writes requests <paramref name="sent"/>.. into them (request n: gref n,
    /// id n mod 2^16, size 64 + n mod 1400, as the C peer) and publishes them.
    /// </summary>
    // Its own method: inlined into a loop whose method has try/catch regions or a P/Invoke frame (the clock), the JIT
    // stored and reloaded five locals per slot and kept the batch indexer's bounds check (DOTNET_JitDisasm of TxLoop.Run).
    // The sequence is unsigned, as in the C peer: a signed modulo by 1400 costs three more instructions per slot.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Fill(FrontRing<NetifTxRequest, NetifTxResponse> ring, int room, ulong sent)
    {
        using SlotBatch<NetifTxRequest> batch = ring.ClaimRequests(room);
        for (int i = 0; i < batch.Count; i++)
        {
            ulong sequence = sent + (uint)i;
            batch[i] = new NetifTxRequest
            {
                GrantRef = (uint)sequence,
                Id = (ushort)sequence,
                Size = (ushort)(64 + (sequence % 1400)),
            };
        }
    }
}
