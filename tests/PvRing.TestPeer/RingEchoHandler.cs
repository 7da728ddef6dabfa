// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Rings;

namespace PvRing.TestPeer;

/// <summary>Answers each <see cref="SequencedRequest"/> with its sequence and checksum.</summary>
internal struct RingEchoHandler : IRequestHandler<SequencedRequest, SequencedResponse>
{
    public bool TryHandle(in SequencedRequest request, out SequencedResponse response)
    {
        response = new SequencedResponse { Sequence = request.Sequence, Checksum = SequencedResponse.ChecksumOf(request) };
        return true;
    }
}
