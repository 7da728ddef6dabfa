// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Store;

namespace PvRing.Bus;

/// <summary>
/// The back end of a device: advertises its features, waits for the front end's choices, validates them
/// and connects, or refuses with an <c>error</c> node and Closing, as Linux back ends do.
/// </summary>
/// <remarks>
/// Sequence: <see cref="ConnectAsync(CancellationToken)"/> writes the offers and InitWait in one transaction, waits for the
/// front end to reach Initialised (or Connected, which Linux netfront jumps to), reads each choice key
/// (missing = the feature's default), checks it parses completely and lies within the offer, then writes
/// Connected. Teardown: <see cref="WaitForCloseRequestAsync"/> then <see cref="CloseAsync"/>.
/// </remarks>
public sealed class XenBusBackend
{
    private readonly XenBusDevice _device;
    private readonly Dictionary<XenBusFeature, uint> _offers;
    private readonly XenBusSide _side;

    /// <summary>Creates the back end of <paramref name="device"/> with what it offers.</summary>
    /// <param name="store">A connection acting as the back end's domain.</param>
    /// <param name="device">The device.</param>
    /// <param name="offers">Each feature advertised and its value; a feature not listed is not advertised (the front end then assumes its default).</param>
    /// <param name="options">Timeouts and logging; null for the defaults.</param>
    /// <exception cref="ArgumentException">An offer is outside its feature's range.</exception>
    public XenBusBackend(XenStoreClient store, XenBusDevice device, IReadOnlyDictionary<XenBusFeature, uint> offers, XenBusOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(offers);
        options ??= new XenBusOptions();
        options.Validate();
        foreach ((XenBusFeature feature, uint offer) in offers)
        {
            if (offer > feature.Limit || feature.CheckOffer(offer) is not null)
            {
                throw new ArgumentException($"Offer {feature.OfferKey}={offer} is outside [{feature.Minimum}, {feature.Limit}].", nameof(offers));
            }
        }

        _device = device;
        _offers = new Dictionary<XenBusFeature, uint>(offers);
        _side = new XenBusSide(store, device.BackendPath, device.FrontendPath, device.FrontendDomainId, options, "back end");
    }

    /// <summary>The device.</summary>
    public XenBusDevice Device => _device;

    /// <summary>Reads the back end's own state.</summary>
    public Task<XenbusState> GetStateAsync(CancellationToken cancellationToken = default) => _side.ReadStateAsync(_device.BackendPath, cancellationToken);

    /// <summary>
    /// Advertises, waits for the front end's choices, validates them and goes to Connected.
    /// </summary>
    /// <exception cref="XenBusNegotiationException">
    /// A choice was invalid (the back end wrote <c>error</c> and went to Closing), or the front end closed,
    /// went away or did not answer within the timeout.
    /// </exception>
    public Task<XenBusNegotiation> ConnectAsync(CancellationToken cancellationToken) => ConnectAsync(attach: null, cancellationToken);

    /// <summary>
    /// Advertises, waits for the front end's choices, validates them, lets <paramref name="attach"/> read the front
    /// end's transport keys and map its rings, and goes to Connected.
    /// </summary>
    /// <param name="attach">
    /// Called with the validated choices before the back end connects; a <see cref="PvRingProtocolException"/> from it
    /// (a missing or malformed ring reference, an invalid grant, an unbindable port) refuses the front end: the back end
    /// writes <c>error</c> and goes to Closing, and the exception is rethrown wrapped in a
    /// <see cref="XenBusNegotiationException"/>. Null to connect at once.
    /// </param>
    /// <param name="cancellationToken">Cancels the negotiation.</param>
    /// <exception cref="XenBusNegotiationException">
    /// A choice or a transport key was invalid (the back end wrote <c>error</c> and went to Closing), or the front end
    /// closed, went away or did not answer within the timeout.
    /// </exception>
    public async Task<XenBusNegotiation> ConnectAsync(Func<XenBusNegotiation, CancellationToken, Task>? attach, CancellationToken cancellationToken = default)
    {
        await _side.Store.RunTransactionAsync(async (t, token) =>
        {
            foreach ((XenBusFeature feature, uint offer) in _offers)
            {
                await t.WriteAsync(_device.BackendPath + "/" + feature.OfferKey, XenBusFeature.Format(offer), token).ConfigureAwait(false);
            }

            await t.WriteAsync(_device.BackendPath + "/state", XenBusFeature.Format((uint)XenbusState.InitWait), token).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        XenBusLog.Advertised(_side.Logger, _device.BackendPath);

        XenbusState front = await _side.WaitForPeerAsync(
            s => s is XenbusState.Initialised or XenbusState.Connected or XenbusState.Closing or XenbusState.Closed,
            "the front end's choices (Initialised)",
            cancellationToken).ConfigureAwait(false);
        if (front is XenbusState.Closing or XenbusState.Closed)
        {
            string? error = await _side.ReadPeerErrorAsync(cancellationToken).ConfigureAwait(false);
            throw new XenBusNegotiationException($"The front end went to {front} instead of publishing its choices{(error is null ? "" : $": {error}")}.") { IsRefused = error is not null };
        }

        var values = new Dictionary<XenBusFeature, uint>();
        foreach (XenBusFeature feature in XenBusStandardFeatures.Generic.Union(_offers.Keys))
        {
            uint offer = _offers.TryGetValue(feature, out uint offered) ? offered : feature.DefaultValue;
            string key = _device.FrontendPath + "/" + feature.ChoiceKey;
            string? text = await _side.Store.TryReadAsync(key, cancellationToken).ConfigureAwait(false);
            uint? choice = text is null ? feature.DefaultValue : feature.Parse(text);
            string? problem = choice is null
                ? $"{feature.ChoiceKey} '{XenBusSide.Shorten(text!)}' is not a valid number"
                : feature.CheckChoice(choice.Value, offer);
            if (problem is not null)
            {
                throw await _side.RefuseAsync(problem, cancellationToken).ConfigureAwait(false);
            }

            values[feature] = choice!.Value;
        }

        var negotiation = new XenBusNegotiation(values);
        if (attach is not null)
        {
            try
            {
                await attach(negotiation, cancellationToken).ConfigureAwait(false);
            }
            catch (PvRingProtocolException e)
            {
                XenBusNegotiationException refusal = await _side.RefuseAsync(e.Message, cancellationToken).ConfigureAwait(false);
                throw new XenBusNegotiationException(refusal.Message, e) { IsRefused = true };
            }
        }

        await _side.WriteStateAsync(XenbusState.Connected, cancellationToken).ConfigureAwait(false);
        return negotiation;
    }

    /// <summary>Waits (bounded) until the front end asks to close (Closing or Closed) or its state disappears.</summary>
    public Task WaitForCloseRequestAsync(CancellationToken cancellationToken = default) =>
        _side.WaitForPeerAsync(s => s is XenbusState.Closing or XenbusState.Closed or XenbusState.Unknown, "the front end to close", cancellationToken);

    /// <summary>
    /// Waits, with no time limit, until the front end leaves (Closing, Closed, its directory gone, its process dead, or
    /// the store connection broken), then goes to Closing itself, as Linux's netback does, so the front end's
    /// <c>CloseAsync</c> completes. Call <see cref="CloseAsync"/> afterwards to finish. Cancel it to stop following.
    /// </summary>
    /// <returns>True when the peer left in order (it went to Closing or Closed), false when it disappeared, died or the store went.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<bool> WaitForPeerToLeaveAsync(CancellationToken cancellationToken = default) => _side.FollowPeerAsync(cancellationToken);

    /// <summary>
    /// Reports a fatal error on a connected device, as Linux's <c>xenbus_dev_fatal</c>: writes <c>error</c> = "22
    /// <paramref name="reason"/>" and goes to Closing, so the front end sees why the connection ends. Then dispose or close.
    /// </summary>
    /// <exception cref="XenStoreException">The store refused the write.</exception>
    public async Task FailAsync(string reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        _ = await _side.RefuseAsync(reason, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Goes to Closing, waits (bounded) for the front end to be Closing or Closed, then goes to Closed.</summary>
    /// <exception cref="XenBusNegotiationException">The front end did not close within the timeout.</exception>
    public Task CloseAsync(CancellationToken cancellationToken = default) => XenBusTeardown.CloseAsync(_side, cancellationToken);
}
