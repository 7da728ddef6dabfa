// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Rx;

/// <summary>
/// Validates each copied request and answers it with its id and <see cref="NetifStatus.Okay"/>; refuses an
/// invalid one, remembering it for the error message.
/// </summary>
internal struct EchoHandler : IRequestHandler<NetifTxRequest, NetifTxResponse>
{
    public NetifTxRequest? Refused;

    public bool TryHandle(in NetifTxRequest request, out NetifTxResponse response)
    {
        if (!NetifTxRequestValidator.IsValid(in request))
        {
            Refused = request;
            response = default;
            return false;
        }

        response = new NetifTxResponse { Id = request.Id, Status = NetifStatus.Okay };
        return true;
    }
}
