// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Rings;
using PvRing.TestPeer;

namespace PvRing.Tests.Rings.Variants;

/// <summary>The back's <see cref="BackRing{TRequest, TResponse}.ServeRequests{THandler}"/> handler: sequence and checksum.</summary>
internal struct EchoRequestHandler : IRequestHandler<SequencedRequest, SequencedResponse>
{
    public bool TryHandle(in SequencedRequest request, out SequencedResponse response)
    {
        response = new SequencedResponse { Sequence = request.Sequence, Checksum = SequencedResponse.ChecksumOf(request) };
        return true;
    }
}
