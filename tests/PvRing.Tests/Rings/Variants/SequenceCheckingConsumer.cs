// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Rings;
using PvRing.TestPeer;

namespace PvRing.Tests.Rings.Variants;

/// <summary>
/// Checks, inside <see cref="FrontRing{TRequest, TResponse}.ConsumeResponses{TConsumer}"/>, that responses arrive
/// in sequence with the right checksum; the first wrong one is refused (stays unconsumed) and recorded.
/// </summary>
internal struct SequenceCheckingConsumer : IResponseConsumer<SequencedResponse>
{
    public ulong Next;
    public SequencedResponse? Wrong;

    public bool TryConsume(in SequencedResponse response)
    {
        if (response.Sequence != Next || response.Checksum != SequencedResponse.ChecksumOf(RingVariantSuite.Request(Next)))
        {
            Wrong = response;
            return false;
        }

        Next++;
        return true;
    }
}
