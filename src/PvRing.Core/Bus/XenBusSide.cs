// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PvRing.Store;

namespace PvRing.Bus;

/// <summary>
/// What both ends share: writing our <c>state</c>, refusing with an <c>error</c> node, and waiting, bounded,
/// for the peer's state. Every watch event is treated as a hint only: the state is read again each time,
/// so spurious and duplicate events are harmless.
/// </summary>
internal sealed class XenBusSide(XenStoreClient store, string ownPath, string peerPath, int peerDomainId, XenBusOptions options, string role)
{
    /// <summary>Linux writes errors as "errno message"; EINVAL is 22.</summary>
    private const int Einval = 22;

    public XenStoreClient Store => store;

    public string OwnPath => ownPath;

    public string PeerPath => peerPath;

    /// <summary>Where this end's lifecycle events go (<see cref="XenBusLog"/>).</summary>
    public ILogger Logger { get; } = options.Logger ?? NullLogger.Instance;

    public Task WriteStateAsync(XenbusState state, CancellationToken cancellationToken)
    {
        XenBusLog.StateChanged(Logger, role, ownPath, state);
        return store.WriteAsync(ownPath + "/state", ((int)state).ToString(CultureInfo.InvariantCulture), cancellationToken);
    }

    public async Task<XenbusState> ReadStateAsync(string path, CancellationToken cancellationToken)
    {
        string? text = await store.TryReadAsync(path + "/state", cancellationToken).ConfigureAwait(false);
        if (text is null)
        {
            return XenbusState.Unknown;
        }

        return XenStoreNumber.TryParseDecimal(text, (uint)XenbusState.Reconfigured, out uint state)
            ? (XenbusState)state
            : throw new PvRingProtocolException($"{path}/state holds a value that is not a XenBus state: state={Shorten(text)}.");
    }

    /// <summary>Writes <c>error</c> = "22 reason" and goes to Closing, as Linux's <c>xenbus_dev_fatal</c> does.</summary>
    public async Task<XenBusNegotiationException> RefuseAsync(string reason, CancellationToken cancellationToken)
    {
        XenBusLog.Refusing(Logger, role, reason);
        await store.RunTransactionAsync(async (t, token) =>
        {
            await t.WriteAsync(ownPath + "/error", $"{Einval} {reason}", token).ConfigureAwait(false);
            await t.WriteAsync(ownPath + "/state", ((int)XenbusState.Closing).ToString(CultureInfo.InvariantCulture), token).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        return new XenBusNegotiationException($"The {role} refused the negotiation and wrote {ownPath}/error: {reason}.") { IsRefused = true };
    }

    /// <summary>The peer's <c>error</c> node, if it wrote one.</summary>
    public Task<string?> ReadPeerErrorAsync(CancellationToken cancellationToken) => store.TryReadAsync(peerPath + "/error", cancellationToken);

    /// <summary>
    /// Waits until the peer's state satisfies <paramref name="done"/>, for at most the configured timeout. When
    /// the peer is an unprivileged domain, <c>@releaseDomain</c> is watched too, so a peer that dies ends the
    /// wait at once instead of at the timeout.
    /// </summary>
    public Task<XenbusState> WaitForPeerAsync(Func<XenbusState, bool> done, string what, CancellationToken cancellationToken) =>
        WaitForPeerAsync(done, what, options.Timeout, cancellationToken);

    /// <summary>
    /// Waits, with no time limit, until the peer leaves: its state becomes Closing or Closed or disappears, its domain
    /// is released (its process died), its state turns malformed, or the store connection breaks. Then writes our own
    /// state Closing (as Linux's <c>otherend_changed</c> handlers do), so the peer's close, which waits for us to leave
    /// Connected, completes.
    /// </summary>
    public async Task<bool> FollowPeerAsync(CancellationToken cancellationToken)
    {
        bool orderly = false;
        try
        {
            XenbusState state = await WaitForPeerAsync(
                s => s is XenbusState.Closing or XenbusState.Closed or XenbusState.Unknown,
                "the peer to leave",
                Timeout.InfiniteTimeSpan,
                cancellationToken).ConfigureAwait(false);
            orderly = state is XenbusState.Closing or XenbusState.Closed;
        }
        catch (PvRingException) when (!cancellationToken.IsCancellationRequested)
        {
            // Released, a state that is not one, or no store any more: the peer is gone either way, not in order.
        }

        try
        {
            await WriteStateAsync(XenbusState.Closing, cancellationToken).ConfigureAwait(false);
        }
        catch (PvRingException)
        {
            // The store is gone too: nobody is left to read our state.
        }

        return orderly;
    }

    private async Task<XenbusState> WaitForPeerAsync(Func<XenbusState, bool> done, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        bool peerGone = false;
        Task releaseWatch = peerDomainId == 0 ? Task.CompletedTask : WatchPeerReleaseAsync();
        XenbusState state = XenbusState.Unknown;
        try
        {
            await foreach (XenStoreWatchEvent _ in store.WatchAsync(peerPath + "/state", bounded.Token).ConfigureAwait(false))
            {
                state = await ReadStateAsync(peerPath, bounded.Token).ConfigureAwait(false);
                if (done(state))
                {
                    return state;
                }
            }

            throw new XenBusNegotiationException($"The watch on {peerPath}/state ended while waiting for {what}.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw peerGone
                ? new XenBusNegotiationException($"The peer domain {peerDomainId} went away while the {role} waited for {what} (its state was {state}).")
                : new XenBusNegotiationException($"The {role} waited {options.Timeout} for {what}; {peerPath}/state is {state}.", new TimeoutException());
        }
        finally
        {
            await bounded.CancelAsync().ConfigureAwait(false);
            await releaseWatch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        async Task WatchPeerReleaseAsync()
        {
            try
            {
                // Fires once at registration, so a peer that is already gone is noticed too.
                await foreach (XenStoreWatchEvent _ in store.WatchAsync("@releaseDomain", bounded.Token).ConfigureAwait(false))
                {
                    if (!await store.IsDomainIntroducedAsync(peerDomainId, bounded.Token).ConfigureAwait(false))
                    {
                        peerGone = true;
                        await bounded.CancelAsync().ConfigureAwait(false);
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The wait ended.
            }
        }
    }

    /// <summary>Peer-supplied text cut to 32 characters for a message, so a hostile value cannot flood a log.</summary>
    public static string Shorten(string text) => text.Length > 32 ? text[..32] + "..." : text;
}
