// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Tx;

/// <summary>
/// Checks that response n carries id n mod 2^16 and <see cref="NetifStatus.Okay"/>: every response came back
/// once, in order. Refuses (and remembers) the first one that does not.
/// </summary>
internal struct ResponseChecker : IResponseConsumer<NetifTxResponse>
{
    public long Received;
    public NetifTxResponse? Wrong;

    // The expected case first: the JIT's synthesized profile lays the first branch out as the fall-through, and with the
    // refusal first it put the accepted response out of line, two taken jumps per response (DOTNET_JitDisasm).
    public bool TryConsume(in NetifTxResponse response)
    {
        if (response.Id == (ushort)Received && response.Status == NetifStatus.Okay)
        {
            Received++;
            return true;
        }

        Wrong = response;
        return false;
    }
}
