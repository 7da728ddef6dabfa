// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Tests.Rings.Variants;

/// <summary>Answers each netif TX request with its id and OKAY: a 12-byte request, a 4-byte response.</summary>
internal struct NetifEchoHandler : IRequestHandler<NetifTxRequest, NetifTxResponse>
{
    public bool TryHandle(in NetifTxRequest request, out NetifTxResponse response)
    {
        response = new NetifTxResponse { Id = request.Id, Status = NetifStatus.Okay };
        return true;
    }
}
