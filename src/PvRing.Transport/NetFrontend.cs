// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Store;

namespace PvRing.Transport;

/// <summary>
/// The front end of a netif-shaped device, connected: a transmit ring and a receive ring granted to the back end, and
/// their event channel(s), laid out as negotiated through the store. Create it with <see cref="ConnectAsync"/>.
/// </summary>
/// <remarks>
/// Sequence (Linux netfront's, with blkfront's multi-page keys): wait for the back end's offers, choose the
/// intersection with <see cref="NetFrontendOptions.Wants"/>, grant 2^order arena frames per ring and initialise the
/// rings in the chosen layout, allocate one event channel (or two with split event channels), then publish
/// <c>tx-ring-ref</c>/<c>rx-ring-ref</c> (or <c>tx-ring-ref0..N-1</c>, <c>rx-ring-ref0..N-1</c>), <c>event-channel</c>
/// (or <c>event-channel-tx</c>/<c>-rx</c>), the choices and Initialised in one transaction, and wait for Connected.
/// The rings and channels are the caller's to drive from one thread each; they take no locks.
/// </remarks>
public sealed class NetFrontend : IAsyncDisposable
{
    private readonly XenBusFrontend _bus;
    private readonly Resources _resources;
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;

    private NetFrontend(XenBusFrontend bus, NetDeviceFeatures features, Resources resources)
    {
        _bus = bus;
        _resources = resources;
        Features = features;
        BackendGone = bus.WaitForPeerToLeaveAsync(_stop.Token);
    }

    /// <summary>The device.</summary>
    public XenBusDevice Device => _bus.Device;

    /// <summary>What both ends agreed.</summary>
    public NetDeviceFeatures Features { get; }

    /// <summary>The layout of both rings.</summary>
    public RingVariant Variant => Features.Variant;

    /// <summary>The transmit ring: the front produces <see cref="NetifTxRequest"/>s.</summary>
    public FrontRing<NetifTxRequest, NetifTxResponse> Transmit => _resources.Transmit!;

    /// <summary>The receive ring: the front posts <see cref="NetifRxRequest"/>s (buffers) for the back to fill.</summary>
    public FrontRing<NetifRxRequest, NetifRxResponse> Receive => _resources.Receive!;

    /// <summary>The channel of the transmit ring (its <see cref="FrontRing{TRequest, TResponse}.Notifier"/>).</summary>
    public EventChannel TransmitChannel => _resources.TransmitChannel!;

    /// <summary>The channel of the receive ring: the same object as <see cref="TransmitChannel"/> without split event channels.</summary>
    public EventChannel ReceiveChannel => _resources.ReceiveChannel ?? _resources.TransmitChannel!;

    /// <summary>
    /// Completes when the back end closes, disappears or its process dies; this front end has then answered Closing (as
    /// Linux netfront does), so the back end's close completes. Dispose it to finish. Cancelled when disposed first.
    /// </summary>
    public Task BackendGone { get; }

    /// <summary>
    /// Negotiates with the back end of <paramref name="device"/> and connects.
    /// </summary>
    /// <param name="store">A connection acting as the front end's domain (<see cref="XenBusDevice.FrontendDomainId"/>).</param>
    /// <param name="device">The device; the toolstack must have created it (<see cref="XenBusDevice.CreateAsync"/>).</param>
    /// <param name="grants">The front end's memory: the rings take 2 × 2^order of its frames from <see cref="NetFrontendOptions.FirstFrame"/>.</param>
    /// <param name="events">The front end's event domain.</param>
    /// <param name="options">What to ask for; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the negotiation.</param>
    /// <exception cref="ArgumentException">The domains are not the device's front end, or the arena is too small for the wanted order.</exception>
    /// <exception cref="XenBusNegotiationException">The back end refused, closed, went away or did not answer in time.</exception>
    public static async Task<NetFrontend> ConnectAsync(
        XenStoreClient store, XenBusDevice device, GrantDomain grants, EventDomain events, NetFrontendOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(grants);
        ArgumentNullException.ThrowIfNull(events);
        options ??= new NetFrontendOptions();
        options.Validate();
        if (grants.DomainId != device.FrontendDomainId || events.DomainId != device.FrontendDomainId)
        {
            throw new ArgumentException($"The grant and event domains ({grants.DomainId}, {events.DomainId}) must be the device's front end, domain {device.FrontendDomainId}.", nameof(device));
        }

        long needed = options.FirstFrame + (2L << options.Wants.RingPageOrder);
        if (needed > grants.FrameCount)
        {
            throw new ArgumentException($"Two rings of order {options.Wants.RingPageOrder} from frame {options.FirstFrame} need {needed} frames; the arena has {grants.FrameCount}.", nameof(options));
        }

        var bus = new XenBusFrontend(store, device, options.Wants.ToValues(), options.Bus);
        var resources = new Resources();
        NetDeviceFeatures agreed = default;
        try
        {
            await bus.ConnectAsync(negotiation =>
            {
                agreed = NetDeviceFeatures.From(negotiation);
                return resources.Create(grants, events, device, agreed, options.FirstFrame);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            resources.Dispose();
            throw;
        }

        options.Bus?.Log?.Invoke($"net front end {device}: connected with {agreed}");
        return new NetFrontend(bus, agreed, resources);
    }

    /// <summary>
    /// Closes the device (Closing, wait for the back end, Closed; bounded by the negotiation timeout), closes the
    /// channels (waking a back end that sleeps on them), releases the rings and ends the grants the back end no longer maps.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Stop following the back end first, so our answer to its close (Closing) can never land after our Closed.
        await _stop.CancelAsync().ConfigureAwait(false);
        await BackendGone.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            await _bus.CloseAsync().ConfigureAwait(false);
        }
        catch (PvRingException)
        {
            // The back end is gone or did not answer within the timeout: there is nobody left to agree with.
        }

        _resources.Dispose();
        _stop.Dispose();
    }

    /// <summary>What a connection holds, made inside the negotiation and undone if it fails.</summary>
    private sealed class Resources : IDisposable
    {
        public GrantedRing? TransmitGrant;
        public GrantedRing? ReceiveGrant;
        public FrontRing<NetifTxRequest, NetifTxResponse>? Transmit;
        public FrontRing<NetifRxRequest, NetifRxResponse>? Receive;
        public EventChannel? TransmitChannel;
        public EventChannel? ReceiveChannel;

        public Dictionary<string, string> Create(GrantDomain grants, EventDomain events, XenBusDevice device, NetDeviceFeatures agreed, uint firstFrame)
        {
            ushort back = (ushort)device.BackendDomainId;
            int order = agreed.RingPageOrder;
            TransmitGrant = GrantedRing.Grant(grants, back, firstFrame, order);
            ReceiveGrant = GrantedRing.Grant(grants, back, firstFrame + (1u << order), order);
            Transmit = TransmitGrant.Initialize<NetifTxRequest, NetifTxResponse>(agreed.Variant);
            Receive = ReceiveGrant.Initialize<NetifRxRequest, NetifRxResponse>(agreed.Variant);
            TransmitChannel = events.AllocateUnbound(back);
            ReceiveChannel = agreed.SplitEventChannels ? events.AllocateUnbound(back) : null;
            Transmit.Notifier = TransmitChannel;
            Receive.Notifier = ReceiveChannel ?? TransmitChannel;

            var keys = new Dictionary<string, string>(StringComparer.Ordinal);
            XenBusRingKeys.AddRingReferences(keys, XenBusRingKeys.TransmitPrefix, TransmitGrant.References);
            XenBusRingKeys.AddRingReferences(keys, XenBusRingKeys.ReceivePrefix, ReceiveGrant.References);
            if (ReceiveChannel is null)
            {
                keys[XenBusRingKeys.EventChannel] = Number(TransmitChannel.Port);
            }
            else
            {
                keys[XenBusRingKeys.TransmitEventChannel] = Number(TransmitChannel.Port);
                keys[XenBusRingKeys.ReceiveEventChannel] = Number(ReceiveChannel.Port);
            }

            return keys;
        }

        public void Dispose()
        {
            ReceiveChannel?.Dispose();
            TransmitChannel?.Dispose();
            Receive?.Dispose();
            Transmit?.Dispose();
            ReceiveGrant?.Dispose();
            TransmitGrant?.Dispose();
        }

        private static string Number(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
