// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Rings;

namespace PvRing.Harness;

/// <summary>The back of <c>ringpingpong</c> answers request x with ~x, so the front can check every response.</summary>
internal struct RingPingPongComplement : IRequestHandler<ulong, ulong>
{
    public readonly bool TryHandle(in ulong request, out ulong response)
    {
        response = ~request;
        return true;
    }
}
