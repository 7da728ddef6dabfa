// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Store;

namespace PvRing.Transport;

/// <summary>
/// Follows a connected peer until it leaves: its <c>state</c> becomes Closing, Closed or disappears, its domain is
/// released (the process died), or the store connection breaks. Watch events are hints; the state is re-read each time.
/// </summary>
internal static class PeerWatch
{
    /// <summary>
    /// Waits until the peer leaves, then answers by writing our own state Closing (as Linux's ends do when the other
    /// end closes), so that the peer's close, which waits for us to leave Connected, completes at once.
    /// </summary>
    public static async Task FollowAsync(XenStoreClient store, string peerPath, int peerDomainId, string ownPath, CancellationToken cancellationToken)
    {
        await UntilGoneAsync(store, peerPath, peerDomainId, cancellationToken).ConfigureAwait(false);
        try
        {
            await store.WriteAsync(ownPath + "/state", ((int)XenbusState.Closing).ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        }
        catch (PvRingException)
        {
            // The store is gone too: nobody is left to read our state.
        }
    }

    public static async Task UntilGoneAsync(XenStoreClient store, string peerPath, int peerDomainId, CancellationToken cancellationToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            Task state = WatchStateAsync(store, peerPath, done.Token);
            Task release = peerDomainId == 0 ? Task.Delay(Timeout.Infinite, done.Token) : WatchReleaseAsync(store, peerDomainId, done.Token);
            await Task.WhenAny(state, release).ConfigureAwait(false);
        }
        finally
        {
            await done.CancelAsync().ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private static async Task WatchStateAsync(XenStoreClient store, string peerPath, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (XenStoreWatchEvent _ in store.WatchAsync(peerPath + "/state", cancellationToken).ConfigureAwait(false))
            {
                string? text = await store.TryReadAsync(peerPath + "/state", cancellationToken).ConfigureAwait(false);
                if (text is null || !XenStoreNumber.TryParseDecimal(text, (uint)XenbusState.Reconfigured, out uint state)
                    || (XenbusState)state is XenbusState.Closing or XenbusState.Closed)
                {
                    // Gone, closing, or garbage: a peer that writes a non-state is not a peer to keep serving.
                    return;
                }
            }
        }
        catch (PvRingException) when (!cancellationToken.IsCancellationRequested)
        {
            // The store connection broke: nothing tells us any more that the peer is there.
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task WatchReleaseAsync(XenStoreClient store, int domainId, CancellationToken cancellationToken)
    {
        try
        {
            // Fires once at registration, so a peer that is already gone is noticed too.
            await foreach (XenStoreWatchEvent _ in store.WatchAsync("@releaseDomain", cancellationToken).ConfigureAwait(false))
            {
                if (!await store.IsDomainIntroducedAsync(domainId, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (PvRingException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException)
        {
        }
    }
}
