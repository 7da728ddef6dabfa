// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Bus;

/// <summary>The shutdown both ends follow: Closing, wait for the peer to leave Connected, Closed.</summary>
internal static class XenBusTeardown
{
    public static async Task CloseAsync(XenBusSide side, CancellationToken cancellationToken)
    {
        await side.WriteStateAsync(XenbusState.Closing, cancellationToken).ConfigureAwait(false);

        // A peer whose directory is gone (Unknown) has nothing left to close.
        await side.WaitForPeerAsync(
            s => s is XenbusState.Closing or XenbusState.Closed or XenbusState.Unknown,
            "the peer to close",
            cancellationToken).ConfigureAwait(false);
        await side.WriteStateAsync(XenbusState.Closed, cancellationToken).ConfigureAwait(false);
    }
}
