// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Rings;
using PvRing.Store;

namespace PvRing.Transport;

/// <summary>
/// The front end of a netif device, connected: a shell over its queues (<see cref="NetFrontQueue"/>, as many as agreed), each with
/// a transmit and a receive ring granted to the back end, event channel(s), transmit buffers and posted receive buffers,
/// laid out and moved as negotiated through the store. Create it with <see cref="ConnectAsync"/>.
/// </summary>
/// <remarks>
/// Sequence (Linux netfront's <c>talk_to_netback</c>, with blkfront's multi-page keys): wait for the back end's offers,
/// choose the intersection with <see cref="NetFrontendOptions.Wants"/> (the wanted grant mode, or copy if it is not
/// offered), let each queue grant its rings and buffers and allocate its channel(s), then publish the queue keys
/// (<c>tx-ring-ref</c>/<c>rx-ring-ref</c> or <c>tx-ring-ref0..N-1</c>, <c>event-channel</c> or
/// <c>event-channel-tx</c>/<c>-rx</c>), the choices and Initialised in one transaction, and wait for Connected.
/// </remarks>
public sealed class NetFrontend : IAsyncDisposable
{
    private readonly XenBusFrontend _bus;
    private readonly NetFrontQueue[] _queues;
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;

    private NetFrontend(XenBusFrontend bus, NetDeviceFeatures features, NetFrontQueue[] queues)
    {
        _bus = bus;
        _queues = queues;
        Features = features;
        BackendGone = bus.WaitForPeerToLeaveAsync(_stop.Token);
    }

    /// <summary>The device.</summary>
    public XenBusDevice Device => _bus.Device;

    /// <summary>What both ends agreed.</summary>
    public NetDeviceFeatures Features { get; }

    /// <summary>The layout of every ring.</summary>
    public RingVariant Variant => Features.Variant;

    /// <summary>The queues: one under the flat keys, or as many as multiqueue agreed, each under <c>queue-N/</c>.</summary>
    public IReadOnlyList<NetFrontQueue> Queues => _queues;

    /// <summary>The first queue (the only one without multiqueue).</summary>
    public NetFrontQueue Queue => _queues[0];

    /// <summary>
    /// Completes when the back end closes, disappears or its process dies; this front end has then answered Closing (as
    /// Linux netfront does), so the back end's close completes. Dispose it to finish. Cancelled when disposed first. Its
    /// result: true when the back closed in order (Closing or Closed), false when it disappeared or died.
    /// </summary>
    public Task<bool> BackendGone { get; }

    /// <summary>
    /// The grant domain options that fit the queues (<see cref="NetDeviceFeatures.Queues"/>) of <paramref name="wants"/>
    /// from frame <paramref name="firstFrame"/>: for each, arena frames for both rings and one buffer per slot, and grant
    /// table pages for all their references.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="wants"/> is invalid, or its queues need more grant references than a table holds.</exception>
    public static GrantDomainOptions DomainOptionsFor(NetDeviceFeatures wants, uint firstFrame = 0)
    {
        wants.Validate();
        int frames = FramesNeeded(wants) * wants.Queues;
        int entries = GrantDomainOptions.ReservedEntries + frames;
        if (entries > GrantDomainOptions.MaxGrantTablePages * GrantDomainOptions.EntriesPerTablePage)
        {
            throw new ArgumentOutOfRangeException(
                nameof(wants),
                $"{wants.Queues} queue(s) of ring page order {wants.RingPageOrder} need {entries} grant references; a grant table holds at most " +
                $"{GrantDomainOptions.MaxGrantTablePages * GrantDomainOptions.EntriesPerTablePage} (Xen's gnttab_max_frames): ask for fewer queues or a lower order.");
        }

        return new GrantDomainOptions
        {
            ArenaFrames = (int)firstFrame + frames,
            GrantTablePages = (entries + GrantDomainOptions.EntriesPerTablePage - 1) / GrantDomainOptions.EntriesPerTablePage,
        };
    }

    /// <summary>
    /// Negotiates with the back end of <paramref name="device"/> and connects.
    /// </summary>
    /// <param name="store">A connection acting as the front end's domain (<see cref="XenBusDevice.FrontendDomainId"/>).</param>
    /// <param name="device">The device; the toolstack must have created it (<see cref="XenBusDevice.CreateAsync"/>).</param>
    /// <param name="grants">The front end's memory, sized with <see cref="DomainOptionsFor"/>: the queue takes its frames from <see cref="NetFrontendOptions.FirstFrame"/>.</param>
    /// <param name="events">The front end's event domain.</param>
    /// <param name="options">What to ask for; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the negotiation.</param>
    /// <exception cref="ArgumentException">The domains are not the device's front end, or the arena or grant table is too small for the wanted features.</exception>
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

        GrantDomainOptions needed = DomainOptionsFor(options.Wants, options.FirstFrame);
        if (needed.ArenaFrames > grants.FrameCount || (long)needed.GrantTablePages * GrantDomainOptions.EntriesPerTablePage > grants.EntryCount)
        {
            throw new ArgumentException(
                $"{options.Wants.Queues} queue(s) of order {options.Wants.RingPageOrder} from frame {options.FirstFrame} needs {needed.ArenaFrames} arena frames and {needed.GrantTablePages} grant table pages; " +
                $"the domain has {grants.FrameCount} frames and {grants.EntryCount} entries (create it with NetFrontend.DomainOptionsFor).", nameof(grants));
        }

        var bus = new XenBusFrontend(store, device, options.Wants.ToValues(), options.Bus);
        var queues = new List<NetFrontQueue>();
        NetDeviceFeatures agreed = default;
        try
        {
            await bus.ConnectAsync(negotiation =>
            {
                agreed = NetDeviceFeatures.From(negotiation);
                var keys = new Dictionary<string, string>(StringComparer.Ordinal);
                if (agreed.NumaAffinity && options.NumaNode is int node)
                {
                    // Item H: say where this end runs, and let its memory prefer that node before any frame is touched.
                    keys[NetifKeys.NumaNode] = node.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    if (options.BindMemoryToNumaNode)
                    {
                        grants.PreferNumaNode(node);
                    }
                }

                // Linux netfront's layout: each queue its own frames, rings, channels and keys (queue-N/ when several).
                int frames = FramesNeeded(options.Wants);
                for (int index = 0; index < agreed.Queues; index++)
                {
                    queues.Add(NetFrontQueue.Create(grants, events, device.BackendDomainId, agreed, options.FirstFrame + (uint)(index * frames), index, keys, device.ToString()));
                }

                return keys;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (NetFrontQueue queue in queues)
            {
                queue.Dispose();
            }

            throw;
        }

        if (options.Bus?.Logger is { } logger)
        {
            NetLog.FrontEndConnected(logger, device.ToString(), agreed);
        }
        for (int index = 0; index < queues.Count; index++)
        {
            NetMetrics.Register(device.ToString(), queues[index], index);
        }

        return new NetFrontend(bus, agreed, [.. queues]);
    }

    /// <summary>
    /// Reports a fatal error (a malformed packet from the back end, usually a <see cref="PvRingProtocolException"/> from a
    /// queue): writes <c>error</c> and goes to Closing, as netfront does when it marks a queue broken. Dispose afterwards.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="error"/> is null.</exception>
    public Task FailAsync(Exception error, CancellationToken cancellationToken = default) =>
        NetDeviceLifetime.FailAsync(error, reason => _bus.FailAsync(reason, cancellationToken));

    /// <summary>
    /// Closes the device (Closing, wait for the back end, Closed; bounded by the negotiation timeout), then releases every
    /// queue: channels closed (waking a back end that sleeps on them), grants ended where the back end no longer maps them.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await NetDeviceLifetime.CloseAsync(_stop, BackendGone, () => _bus.CloseAsync()).ConfigureAwait(false);

        foreach (NetFrontQueue queue in _queues)
        {
            NetMetrics.Unregister(queue);
            queue.Dispose();
        }

        _stop.Dispose();
    }

    /// <summary>The frames one queue takes at most for <paramref name="wants"/>: the classic layout has the most slots per ring.</summary>
    private static int FramesNeeded(NetDeviceFeatures wants) => NetFrontQueue.FramesNeeded(wants with { RingFeatures = RingFeatures.None });
}
