// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Rings;
using PvRing.Store;

namespace PvRing.Transport;

/// <summary>
/// The back end of a netif device, connected: a shell over its queues (<see cref="NetBackQueue"/>, as many as agreed), each with
/// the front end's transmit and receive rings mapped into this process, its event channel(s) bound and the grant mapper
/// of the agreed mode. Create it with <see cref="ConnectAsync"/>.
/// </summary>
/// <remarks>
/// Sequence (Linux netback's, with blkback's multi-page keys): advertise <see cref="NetBackendOptions.Offers"/> and
/// InitWait, wait for the front end's choices, check them (one grant mode at most), read each queue's ring references
/// and ports as hostile input, map each ring's pages into one contiguous range (<see cref="ForeignRing"/>), bind the
/// channel(s), create the grant mode's mapper, and go to Connected.
/// A missing or malformed key, a grant that does not validate or a port that cannot be bound refuses the front end:
/// the back end writes <c>error</c>, goes to Closing, and nothing stays mapped.
/// As in Xen, the front end's domain must exist before the back end waits for it: the toolstack introduces it
/// (<see cref="XenStoreClient.IntroduceDomainAsync"/>) when the back end may start first; a front-end domain that is
/// not introduced counts as gone.
/// </remarks>
public sealed class NetBackend : IAsyncDisposable
{
    private readonly XenBusBackend _bus;
    private readonly XenStoreClient _store;
    private readonly HostDirectory _host;
    private readonly ForeignDomain _front;
    private readonly NetBackQueue[] _queues;
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;

    private NetBackend(XenBusBackend bus, XenStoreClient store, HostDirectory host, NetDeviceFeatures features, ForeignDomain front, NetBackQueue[] queues)
    {
        _bus = bus;
        _store = store;
        _host = host;
        _front = front;
        _queues = queues;
        Features = features;
        FrontendGone = bus.WaitForPeerToLeaveAsync(_stop.Token);
    }

    /// <summary>The device.</summary>
    public XenBusDevice Device => _bus.Device;

    /// <summary>What both ends agreed.</summary>
    public NetDeviceFeatures Features { get; }

    /// <summary>The layout of every ring.</summary>
    public RingVariant Variant => Features.Variant;

    /// <summary>The queues: one under the flat keys, or as many as multiqueue agreed, each under <c>queue-N/</c>.</summary>
    public IReadOnlyList<NetBackQueue> Queues => _queues;

    /// <summary>
    /// The NUMA node the front end said it runs on (<c>numa-node</c>), when <see cref="NetDeviceFeatures.NumaAffinity"/> was
    /// agreed and the front wrote one; null otherwise. Where to place each queue's worker is the caller's choice.
    /// </summary>
    public int? FrontendNumaNode { get; private init; }

    /// <summary>The first queue (the only one without multiqueue).</summary>
    public NetBackQueue Queue => _queues[0];

    /// <summary>
    /// Completes when the front end closes, disappears or its process dies; this back end has then answered Closing (as
    /// Linux netback does), so the front end's close completes. Dispose it to finish. Cancelled when disposed first. Its
    /// result: true when the front closed in order (Closing or Closed), false when it disappeared or died.
    /// </summary>
    public Task<bool> FrontendGone { get; }

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
        ForeignDomain? front = null;
        var queues = new List<NetBackQueue>();
        NetDeviceFeatures agreed = default;
        int? numaNode = null;
        try
        {
            await bus.ConnectAsync(async (negotiation, token) =>
            {
                try
                {
                    agreed = NetDeviceFeatures.From(negotiation);
                    if (agreed.NumaAffinity)
                    {
                        numaNode = await ReadNumaNodeAsync(store, device.FrontendPath, token).ConfigureAwait(false);
                    }

                    front = ForeignDomain.Open(host, device.BackendDomainId, device.FrontendDomainId);
                    var references = new HashSet<uint>();
                    for (int index = 0; index < agreed.Queues; index++)
                    {
                        queues.Add(await AttachQueueAsync(store, device, index, front, events, agreed, references, token).ConfigureAwait(false));
                    }
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
            foreach (NetBackQueue queue in queues)
            {
                queue.Dispose();
            }

            front?.Dispose();
            throw;
        }

        if (options.Bus?.Logger is { } logger)
        {
            if (numaNode is int node)
            {
                NetLog.BackEndConnectedOnNode(logger, device.ToString(), agreed, node);
            }
            else
            {
                NetLog.BackEndConnected(logger, device.ToString(), agreed);
            }
        }
        for (int index = 0; index < queues.Count; index++)
        {
            NetMetrics.Register(device.ToString(), queues[index], index);
        }

        return new NetBackend(bus, store, host, agreed, front!, [.. queues]) { FrontendNumaNode = numaNode };
    }

    /// <summary>
    /// Reports a fatal error (a malformed packet from the front end, usually a <see cref="PvRingProtocolException"/> from a
    /// queue): writes <c>error</c> and goes to Closing, as netback's <c>xenvif_fatal_tx_err</c> does. Dispose afterwards.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="error"/> is null.</exception>
    public Task FailAsync(Exception error, CancellationToken cancellationToken = default) =>
        NetDeviceLifetime.FailAsync(error, reason => _bus.FailAsync(reason, cancellationToken));

    /// <summary>
    /// Closes the device (Closing, wait for the front end, Closed; bounded by the negotiation timeout), releases every
    /// queue (mappings first, which lets the front end end its grants), and, when the front end's process is gone (its
    /// domain released), removes the files it left (arena, grant table, event page, flush page), as a toolstack destroys a
    /// dead domain's memory, so a new front end can take its place.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await NetDeviceLifetime.CloseAsync(_stop, FrontendGone, () => _bus.CloseAsync()).ConfigureAwait(false);

        foreach (NetBackQueue queue in _queues)
        {
            NetMetrics.Unregister(queue);
            queue.Dispose();
        }

        _front.Dispose();
        await RemoveDeadFrontendFilesAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>The front's <c>numa-node</c>, hostile input: a missing key is no placement, a malformed one a refusal.</summary>
    private static async Task<int?> ReadNumaNodeAsync(XenStoreClient store, string frontendPath, CancellationToken cancellationToken)
    {
        string? text = await store.TryReadAsync(frontendPath + "/" + NetifKeys.NumaNode, cancellationToken).ConfigureAwait(false);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int node) && node <= Platform.NumaMemory.MaxNodeId
            ? node
            : throw new PvRingProtocolException($"The front end's {NetifKeys.NumaNode} is not a node id 0..{Platform.NumaMemory.MaxNodeId}: value={(text.Length > 32 ? text[..32] + "..." : text)}.");
    }

    private static async Task<NetBackQueue> AttachQueueAsync(
        XenStoreClient store, XenBusDevice device, int index, ForeignDomain front, EventDomain events, NetDeviceFeatures agreed, HashSet<uint> references, CancellationToken cancellationToken)
    {
        string frontendPath = device.FrontendPath;
        int order = agreed.RingPageOrder;
        string prefix = NetifKeys.QueuePrefix(index, agreed.Queues);
        uint[] transmitReferences = await XenBusRingKeys.ReadRingReferencesAsync(store, frontendPath, prefix + NetifKeys.TransmitPrefix, order, cancellationToken).ConfigureAwait(false);
        uint[] receiveReferences = await XenBusRingKeys.ReadRingReferencesAsync(store, frontendPath, prefix + NetifKeys.ReceivePrefix, order, cancellationToken).ConfigureAwait(false);
        foreach (uint reference in transmitReferences.Concat(receiveReferences).Distinct())
        {
            // Two queues on one ring page would each take the other's requests (repeats within a queue: Attach refuses them).
            if (!references.Add(reference))
            {
                throw new PvRingProtocolException($"The front end's queue {index} uses ring grant reference {reference}, which another queue uses too.");
            }
        }

        int transmitPort;
        int? receivePort = null;
        if (agreed.SplitEventChannels)
        {
            transmitPort = await XenBusRingKeys.ReadEventChannelAsync(store, frontendPath, prefix + NetifKeys.TransmitEventChannel, cancellationToken).ConfigureAwait(false);
            receivePort = await XenBusRingKeys.ReadEventChannelAsync(store, frontendPath, prefix + NetifKeys.ReceiveEventChannel, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            transmitPort = await XenBusRingKeys.ReadEventChannelAsync(store, frontendPath, prefix + XenBusRingKeys.EventChannel, cancellationToken).ConfigureAwait(false);
        }

        return NetBackQueue.Attach(front, events, agreed, index, transmitReferences, receiveReferences, transmitPort, receivePort, device.ToString());
    }

    private async Task RemoveDeadFrontendFilesAsync()
    {
        int frontId = Device.FrontendDomainId;
        try
        {
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (await _store.IsDomainIntroducedAsync(frontId, bounded.Token).ConfigureAwait(false))
            {
                return; // alive (or already replaced): its files are its own
            }
        }
        catch (Exception e) when (e is PvRingException or OperationCanceledException or IOException)
        {
            // No store to ask: leave the files; the next toolstack run can tell.
            return;
        }

        _ = GrantDomain.RemoveFiles(_host, frontId);
        _ = EventDomain.RemoveFiles(_host, frontId);
        _ = DeferredUnmapFrontend.RemoveFile(_host, frontId, Device.BackendDomainId);
    }
}
