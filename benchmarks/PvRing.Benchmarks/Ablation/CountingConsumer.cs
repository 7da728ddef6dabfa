// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Benchmarks.Ablation;

/// <summary>Counts the responses it is given.</summary>
internal struct CountingConsumer : IResponseConsumer<NetifTxResponse>
{
    public long Count;

    public bool TryConsume(in NetifTxResponse response)
    {
        Count++;
        return true;
    }
}
