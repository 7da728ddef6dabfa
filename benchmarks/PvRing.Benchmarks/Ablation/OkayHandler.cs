// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Benchmarks.Ablation;

/// <summary>Answers every request with its id and OKAY.</summary>
internal struct OkayHandler : IRequestHandler<NetifTxRequest, NetifTxResponse>
{
    public readonly bool TryHandle(in NetifTxRequest request, out NetifTxResponse response)
    {
        response = new NetifTxResponse { Id = request.Id, Status = NetifStatus.Okay };
        return true;
    }
}
