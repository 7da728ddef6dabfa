// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Store;

namespace PvRing.Bus;

/// <summary>
/// The front end of a device: waits for the back end's offers, chooses, writes its choices together with
/// its transport keys (ring refs, event channels) in one transaction retried on EAGAIN, and connects.
/// </summary>
/// <remarks>
/// A missing offer means the feature's classic default. A malformed offer (not a complete decimal number,
/// or out of range) is refused: the front end writes its own <c>error</c> node and goes to Closing.
/// </remarks>
public sealed class XenBusFrontend
{
    private readonly XenBusDevice _device;
    private readonly Dictionary<XenBusFeature, uint> _wants;
    private readonly XenBusSide _side;

    /// <summary>Creates the front end of <paramref name="device"/> with what it would like.</summary>
    /// <param name="store">A connection acting as the front end's domain.</param>
    /// <param name="device">The device.</param>
    /// <param name="wants">The value wanted per feature (capped by the offer); a feature not listed is asked for at its default.</param>
    /// <param name="options">Timeouts and logging; null for the defaults.</param>
    public XenBusFrontend(XenStoreClient store, XenBusDevice device, IReadOnlyDictionary<XenBusFeature, uint> wants, XenBusOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(wants);
        options ??= new XenBusOptions();
        options.Validate();
        _device = device;
        _wants = new Dictionary<XenBusFeature, uint>(wants);
        _side = new XenBusSide(store, device.FrontendPath, device.BackendPath, device.BackendDomainId, options, "front end");
    }

    /// <summary>The device.</summary>
    public XenBusDevice Device => _device;

    /// <summary>Reads the front end's own state.</summary>
    public Task<XenbusState> GetStateAsync(CancellationToken cancellationToken = default) => _side.ReadStateAsync(_device.FrontendPath, cancellationToken);

    /// <summary>
    /// Negotiates and connects. <paramref name="transportKeys"/> gets the chosen values and returns the keys
    /// to publish with them (relative to the front end's directory, for example <c>ring-ref</c>).
    /// </summary>
    /// <exception cref="XenBusNegotiationException">
    /// An offer was malformed (the front end wrote <c>error</c> and went to Closing), the back end refused the
    /// choices or closed (its <c>error</c> text is in the message), went away, or did not answer in time.
    /// </exception>
    public async Task<XenBusNegotiation> ConnectAsync(Func<XenBusNegotiation, IReadOnlyDictionary<string, string>> transportKeys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transportKeys);
        XenbusState back = await _side.WaitForPeerAsync(
            s => s is XenbusState.InitWait or XenbusState.Initialised or XenbusState.Connected or XenbusState.Closing or XenbusState.Closed,
            "the back end's offers (InitWait)",
            cancellationToken).ConfigureAwait(false);
        await ThrowIfBackClosedAsync(back, cancellationToken).ConfigureAwait(false);

        var values = new Dictionary<XenBusFeature, uint>();
        foreach (XenBusFeature feature in XenBusStandardFeatures.Generic.Union(_wants.Keys))
        {
            string? text = await _side.Store.TryReadAsync(_device.BackendPath + "/" + feature.OfferKey, cancellationToken).ConfigureAwait(false);
            uint? offer = text is null ? feature.DefaultValue : feature.Parse(text);
            string? problem = offer is null
                ? $"{feature.OfferKey} '{XenBusSide.Shorten(text!)}' is not a valid number"
                : feature.CheckOffer(offer.Value);
            if (problem is not null)
            {
                throw await _side.RefuseAsync(problem, cancellationToken).ConfigureAwait(false);
            }

            values[feature] = feature.Choose(offer!.Value, _wants.TryGetValue(feature, out uint wanted) ? wanted : feature.DefaultValue);
        }

        var negotiation = new XenBusNegotiation(values);
        IReadOnlyDictionary<string, string> keys = transportKeys(negotiation) ?? throw new ArgumentException("The transport key callback returned null.", nameof(transportKeys));
        await _side.Store.RunTransactionAsync(async (t, token) =>
        {
            foreach ((XenBusFeature feature, uint value) in values)
            {
                await t.WriteAsync(_device.FrontendPath + "/" + feature.ChoiceKey, XenBusFeature.Format(value), token).ConfigureAwait(false);
            }

            foreach ((string key, string value) in keys)
            {
                await t.WriteAsync(_device.FrontendPath + "/" + key, value, token).ConfigureAwait(false);
            }

            await t.WriteAsync(_device.FrontendPath + "/state", XenBusFeature.Format((uint)XenbusState.Initialised), token).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        XenBusLog.Published(_side.Logger, _device.FrontendPath, negotiation);

        back = await _side.WaitForPeerAsync(
            s => s is XenbusState.Connected or XenbusState.Closing or XenbusState.Closed,
            "the back end to connect",
            cancellationToken).ConfigureAwait(false);
        await ThrowIfBackClosedAsync(back, cancellationToken).ConfigureAwait(false);
        await _side.WriteStateAsync(XenbusState.Connected, cancellationToken).ConfigureAwait(false);
        return negotiation;
    }

    /// <summary>
    /// Waits, with no time limit, until the back end leaves (Closing, Closed, its directory gone, its process dead, or
    /// the store connection broken), then goes to Closing itself, as Linux's netfront does, so the back end's
    /// <c>CloseAsync</c> completes. Call <see cref="CloseAsync"/> afterwards to finish. Cancel it to stop following.
    /// </summary>
    /// <returns>True when the peer left in order (it went to Closing or Closed), false when it disappeared, died or the store went.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<bool> WaitForPeerToLeaveAsync(CancellationToken cancellationToken = default) => _side.FollowPeerAsync(cancellationToken);

    /// <summary>
    /// Reports a fatal error on a connected device, as Linux's <c>xenbus_dev_fatal</c>: writes <c>error</c> = "22
    /// <paramref name="reason"/>" and goes to Closing, so the back end sees why the connection ends. Then dispose or close.
    /// </summary>
    /// <exception cref="XenStoreException">The store refused the write.</exception>
    public async Task FailAsync(string reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        _ = await _side.RefuseAsync(reason, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Goes to Closing, waits (bounded) for the back end to be Closing or Closed, then goes to Closed.</summary>
    /// <exception cref="XenBusNegotiationException">The back end did not close within the timeout.</exception>
    public Task CloseAsync(CancellationToken cancellationToken = default) => XenBusTeardown.CloseAsync(_side, cancellationToken);

    private async Task ThrowIfBackClosedAsync(XenbusState back, CancellationToken cancellationToken)
    {
        if (back is XenbusState.Closing or XenbusState.Closed)
        {
            string? error = await _side.ReadPeerErrorAsync(cancellationToken).ConfigureAwait(false);
            throw new XenBusNegotiationException($"The back end went to {back}{(error is null ? "" : $" with error '{error}'")}.") { IsRefused = error is not null };
        }
    }
}
