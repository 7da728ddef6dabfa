// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Store;

namespace PvRing.Transport;

/// <summary>
/// The back end of a netif-shaped device, connected: the front end's transmit and receive rings mapped into this
/// process and their event channel(s) bound, laid out as negotiated through the store. Create it with
/// <see cref="ConnectAsync"/>.
/// </summary>
/// <remarks>
/// Sequence (Linux netback's, with blkback's multi-page keys): advertise <see cref="NetBackendOptions.Offers"/> and
/// InitWait, wait for the front end's choices, check them, read its ring references and ports as hostile input, map
/// each ring's pages into one contiguous range (<see cref="ForeignRing"/>), bind the channel(s), and go to Connected.
/// A missing or malformed key, a grant that does not validate or a port that cannot be bound refuses the front end:
/// the back end writes <c>error</c>, goes to Closing, and nothing stays mapped.
/// As in Xen, the front end's domain must exist before the back end waits for it: the toolstack introduces it
/// (<see cref="XenStoreClient.IntroduceDomainAsync"/>) when the back end may start first; a front-end domain that is
/// not introduced counts as gone.
/// </remarks>
public sealed class NetBackend : IAsyncDisposable
{
    private readonly XenBusBackend _bus;
    private readonly Resources _resources;
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;

    private NetBackend(XenBusBackend bus, NetDeviceFeatures features, Resources resources)
    {
        _bus = bus;
        _resources = resources;
        Features = features;
        FrontendGone = bus.WaitForPeerToLeaveAsync(_stop.Token);
    }

    /// <summary>The device.</summary>
    public XenBusDevice Device => _bus.Device;

    /// <summary>What both ends agreed.</summary>
    public NetDeviceFeatures Features { get; }

    /// <summary>The layout of both rings.</summary>
    public RingVariant Variant => Features.Variant;

    /// <summary>The transmit ring: the back consumes <see cref="NetifTxRequest"/>s and answers them.</summary>
    public BackRing<NetifTxRequest, NetifTxResponse> Transmit => _resources.Transmit!;

    /// <summary>The receive ring: the back takes the front's buffers and answers with <see cref="NetifRxResponse"/>s.</summary>
    public BackRing<NetifRxRequest, NetifRxResponse> Receive => _resources.Receive!;

    /// <summary>The channel of the transmit ring (its <see cref="BackRing{TRequest, TResponse}.Notifier"/>).</summary>
    public EventChannel TransmitChannel => _resources.TransmitChannel!;

    /// <summary>The channel of the receive ring: the same object as <see cref="TransmitChannel"/> without split event channels.</summary>
    public EventChannel ReceiveChannel => _resources.ReceiveChannel ?? _resources.TransmitChannel!;

    /// <summary>
    /// Completes when the front end closes, disappears or its process dies; this back end has then answered Closing (as
    /// Linux netback does), so the front end's close completes. Dispose it to finish. Cancelled when disposed first.
    /// </summary>
    public Task FrontendGone { get; }

    /// <summary>Advertises, waits for the front end of <paramref name="device"/>, maps its rings and connects.</summary>
    /// <param name="store">A connection acting as the back end's domain (<see cref="XenBusDevice.BackendDomainId"/>).</param>
    /// <param name="device">The device; the toolstack must have created it (<see cref="XenBusDevice.CreateAsync"/>).</param>
    /// <param name="host">The host directory where the front end's grant table and arena live.</param>
    /// <param name="events">The back end's event domain.</param>
    /// <param name="options">What to offer; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the negotiation.</param>
    /// <exception cref="ArgumentException">The event domain is not the device's back end.</exception>
    /// <exception cref="XenBusNegotiationException">
    /// The front end's choices or transport keys were invalid (the back end refused: <c>error</c> and Closing; the inner
    /// exception says why), or the front end closed, went away or did not answer in time.
    /// </exception>
    public static async Task<NetBackend> ConnectAsync(
        XenStoreClient store, XenBusDevice device, HostDirectory host, EventDomain events, NetBackendOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(events);
        options ??= new NetBackendOptions();
        options.Validate();
        if (events.DomainId != device.BackendDomainId)
        {
            throw new ArgumentException($"The event domain ({events.DomainId}) must be the device's back end, domain {device.BackendDomainId}.", nameof(events));
        }

        var bus = new XenBusBackend(store, device, options.Offers.ToValues(), options.Bus);
        var resources = new Resources();
        NetDeviceFeatures agreed = default;
        try
        {
            await bus.ConnectAsync(async (negotiation, token) =>
            {
                agreed = NetDeviceFeatures.From(negotiation);
                try
                {
                    await resources.AttachAsync(store, host, events, device, agreed, token).ConfigureAwait(false);
                }
                catch (PvRingException e) when (e is not PvRingProtocolException and not XenStoreException)
                {
                    // The front's keys named something we cannot use (a port not unbound for us, memory we cannot map):
                    // the front's fault as far as this back end can tell, so refuse it.
                    throw new PvRingProtocolException(e.Message, e);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            resources.Dispose();
            throw;
        }

        options.Bus?.Log?.Invoke($"net back end {device}: connected with {agreed}");
        return new NetBackend(bus, agreed, resources);
    }

    /// <summary>
    /// Closes the device (Closing, wait for the front end, Closed; bounded by the negotiation timeout), closes the
    /// channels, then unmaps the rings, which lets the front end end its grants.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Stop following the front end first, so our answer to its close (Closing) can never land after our Closed.
        await _stop.CancelAsync().ConfigureAwait(false);
        await FrontendGone.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            await _bus.CloseAsync().ConfigureAwait(false);
        }
        catch (PvRingException)
        {
            // The front end is gone or did not answer within the timeout.
        }

        _resources.Dispose();
        _stop.Dispose();
    }

    /// <summary>What a connection holds, made inside the negotiation and undone if it fails.</summary>
    private sealed class Resources : IDisposable
    {
        public ForeignDomain? Foreign;
        public ForeignRing? TransmitMapping;
        public ForeignRing? ReceiveMapping;
        public BackRing<NetifTxRequest, NetifTxResponse>? Transmit;
        public BackRing<NetifRxRequest, NetifRxResponse>? Receive;
        public EventChannel? TransmitChannel;
        public EventChannel? ReceiveChannel;

        public async Task AttachAsync(XenStoreClient store, HostDirectory host, EventDomain events, XenBusDevice device, NetDeviceFeatures agreed, CancellationToken cancellationToken)
        {
            string front = device.FrontendPath;
            int order = agreed.RingPageOrder;
            uint[] transmitReferences = await XenBusRingKeys.ReadRingReferencesAsync(store, front, XenBusRingKeys.TransmitPrefix, order, cancellationToken).ConfigureAwait(false);
            uint[] receiveReferences = await XenBusRingKeys.ReadRingReferencesAsync(store, front, XenBusRingKeys.ReceivePrefix, order, cancellationToken).ConfigureAwait(false);
            int transmitPort;
            int receivePort = 0;
            if (agreed.SplitEventChannels)
            {
                transmitPort = await XenBusRingKeys.ReadEventChannelAsync(store, front, XenBusRingKeys.TransmitEventChannel, cancellationToken).ConfigureAwait(false);
                receivePort = await XenBusRingKeys.ReadEventChannelAsync(store, front, XenBusRingKeys.ReceiveEventChannel, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                transmitPort = await XenBusRingKeys.ReadEventChannelAsync(store, front, XenBusRingKeys.EventChannel, cancellationToken).ConfigureAwait(false);
            }

            ushort frontId = (ushort)device.FrontendDomainId;
            Foreign = ForeignDomain.Open(host, (ushort)device.BackendDomainId, frontId);
            TransmitMapping = ForeignRing.Map(Foreign, transmitReferences);
            ReceiveMapping = ForeignRing.Map(Foreign, receiveReferences);
            Transmit = TransmitMapping.Attach<NetifTxRequest, NetifTxResponse>(agreed.Variant);
            Receive = ReceiveMapping.Attach<NetifRxRequest, NetifRxResponse>(agreed.Variant);
            TransmitChannel = events.BindInterdomain(frontId, transmitPort);
            ReceiveChannel = agreed.SplitEventChannels ? events.BindInterdomain(frontId, receivePort) : null;
            Transmit.Notifier = TransmitChannel;
            Receive.Notifier = ReceiveChannel ?? TransmitChannel;
        }

        public void Dispose()
        {
            ReceiveChannel?.Dispose();
            TransmitChannel?.Dispose();
            Receive?.Dispose();
            Transmit?.Dispose();
            ReceiveMapping?.Dispose();
            TransmitMapping?.Dispose();
            Foreign?.Dispose();
        }
    }
}
