// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using PvRing.Memory;
using PvRing.Platform;

namespace PvRing.Events;

/// <summary>
/// This process's event channels as one domain of a host: it owns the event page <c>evtchn-&lt;domid&gt;</c>
/// in the <see cref="HostDirectory"/>, allocates and binds ports, and runs the dispatcher thread that completes
/// asynchronous waits.
/// </summary>
/// <remarks>
/// Design: as in Xen, a channel is made in two steps so that the two sides agree on (domid, port) pairs that
/// xenstore carries: one side calls <see cref="AllocateUnbound"/> and publishes the port, the other calls
/// <see cref="BindInterdomain"/> with it. Without a hypervisor the binder itself writes the allocator's port
/// entry with one compare-exchange (from "unbound for me" to "bound to my port"); the allocator validates that
/// entry before trusting it. Ports 1 to 1023 are usable; port 0 means "no port".
/// </remarks>
public sealed class EventDomain : IDisposable
{
    /// <summary>How many ports one domain's event page holds; port 0 is never bound, so ports run from 1 to <c>PortCount - 1</c>.</summary>
    public const int PortCount = EventPageLayout.MaxPorts;

    private readonly HostDirectory _host;
    private readonly EventPage _page;
    private readonly EventChannel?[] _byPort = new EventChannel?[EventPageLayout.MaxPorts];
    private readonly Dictionary<int, EventPage> _peers = [];

    // Pages of peers this domain no longer needs: the peer died or closed and a new process of its domain id came, or the
    // last channel to it was released. A page is unmapped only when no channel to its domain is left and a grace period
    // has passed since it was retired, so an operation still running on a channel being disposed never touches unmapped
    // memory; a listener that serves front after front (each a new domain) keeps a bounded number of peer pages.
    private readonly List<(EventPage Page, long RetiredAt)> _retiredPeers = [];
    private const long RetireGraceMilliseconds = 250;
    private readonly object _lock = new();
    private EventChannel[] _channels = [];
    private int _disposed;

    private EventDomain(HostDirectory host, int domainId, EventPage page, EventDomainOptions options)
    {
        _host = host;
        _page = page;
        DomainId = domainId;
        Options = options;
        PeerCheckTicks = (long)(options.PeerCheckInterval.TotalSeconds * Stopwatch.Frequency);
        Dispatcher = new EventDispatcher(this, page);
    }

    /// <summary>This domain's id.</summary>
    public int DomainId { get; }

    /// <summary>The full path of this domain's event page (over a directory with sealed memory, the page is a memfd and no file is there).</summary>
    public string PagePath => _host.GetFilePath(EventPageLayout.FileName(DomainId));

    internal EventDomainOptions Options { get; }

    internal long PeerCheckTicks { get; }

    internal EventDispatcher Dispatcher { get; }

    internal EventChannel[] ChannelsSnapshot => Volatile.Read(ref _channels);

    /// <summary>
    /// Creates the event page of domain <paramref name="domainId"/> in <paramref name="host"/>. A page left behind
    /// by a dead process is replaced; a page of a live one is refused.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it).
    /// Or <paramref name="domainId"/> is not a domain id (0 to 32751).</exception>
    /// <exception cref="PvRingException">Another live process is domain <paramref name="domainId"/> on this host.</exception>
    public static EventDomain Create(HostDirectory host, int domainId, EventDomainOptions? options = null)
    {
        DomainIds.Check(domainId);
        ArgumentNullException.ThrowIfNull(host);
        EventDomainOptions validated = options ?? new EventDomainOptions();
        validated.Validate();
        var copy = new EventDomainOptions
        {
            PeerCheckInterval = validated.PeerCheckInterval,
            SpinCount = validated.SpinCount,
            YieldCount = validated.YieldCount,
        };
        RemoveStalePage(host, domainId);
        EventPage page = EventPage.Create(host, domainId, PlatformServices.Liveness.Current);
        return new EventDomain(host, domainId, page, copy);
    }

    /// <summary>
    /// Allocates a port for <paramref name="remoteDomainId"/> to bind (Xen's <c>EVTCHNOP_alloc_unbound</c>).
    /// Publish <see cref="EventChannel.Port"/> to the peer; the channel works once the peer has bound it.
    /// </summary>
    /// <exception cref="PvRingException">All ports are in use.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="remoteDomainId"/> is not a domain id (0 to 32751).</exception>
    public EventChannel AllocateUnbound(int remoteDomainId)
    {
        DomainIds.Check(remoteDomainId);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            ulong unbound = new PortBinding(PortState.Unbound, remoteDomainId, 0).Value;
            int port = ReservePort(unbound);
            return AddChannel(new EventChannel(this, _page, port, remoteDomainId), port);
        }
    }

    /// <summary>
    /// Binds a new local port to port <paramref name="remotePort"/> of <paramref name="remoteDomainId"/>, which that
    /// domain allocated for this one (Xen's <c>EVTCHNOP_bind_interdomain</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="remotePort"/> is not 1 to 1023.
    /// Or <paramref name="remoteDomainId"/> is not a domain id (0 to 32751).</exception>
    /// <exception cref="PvRingException">The remote domain has no event page, or the port is not unbound for this domain.</exception>
    /// <exception cref="PvRingProtocolException">The remote page or port entry is malformed.</exception>
    public EventChannel BindInterdomain(int remoteDomainId, int remotePort)
    {
        DomainIds.Check(remoteDomainId);
        ArgumentOutOfRangeException.ThrowIfLessThan(remotePort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(remotePort, EventPageLayout.MaxPorts);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            EventPage remote = GetPeerPageLocked(remoteDomainId);
            ulong bound = new PortBinding(PortState.Interdomain, remoteDomainId, (uint)remotePort).Value;

            // Our own entry is complete before the compare-exchange below publishes our port to the peer.
            int port = ReservePort(bound);
            ulong expected = new PortBinding(PortState.Unbound, DomainId, 0).Value;
            ulong mine = new PortBinding(PortState.Interdomain, DomainId, (uint)port).Value;
            ulong found = Interlocked.CompareExchange(ref remote.Binding(remotePort), mine, expected);
            if (found != expected)
            {
                Volatile.Write(ref _page.Binding(port), 0UL);
                if (!PortBinding.IsWellFormed(found))
                {
                    throw new PvRingProtocolException($"Malformed binding of port {remotePort} in domain {remoteDomainId}: raw=0x{found:X16}.");
                }

                throw new PvRingException(
                    $"Cannot bind port {remotePort} of domain {remoteDomainId}: it is not unbound for domain {DomainId} ({PortBinding.FromValue(found)}).");
            }

            var channel = new EventChannel(this, _page, port, remoteDomainId);
            channel.AttachBound(remote, remotePort);
            return AddChannel(channel, port);
        }
    }

    /// <summary>
    /// Removes the event page that domain <paramref name="domainId"/> left in <paramref name="host"/> when its process
    /// died without disposing it (the toolstack's part of destroying a domain). Returns whether there was one.
    /// Call it only for a domain whose process is gone: a live domain's peers would lose it.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="host"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="domainId"/> is not a domain id (0 to 32751).</exception>
    public static bool RemoveFiles(HostDirectory host, int domainId)
    {
        DomainIds.Check(domainId);
        ArgumentNullException.ThrowIfNull(host);
        string name = EventPageLayout.FileName(domainId);
        bool existed = host.Exists(name);
        host.Delete(name);
        return existed;
    }

    /// <summary>
    /// Closes every channel (waking their peers with <see cref="EventWaitResult.ChannelClosed"/>), stops the
    /// dispatcher, marks the page closed and deletes it.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (EventChannel channel in ChannelsSnapshot)
        {
            channel.Dispose();
        }

        Dispatcher.Dispose();
        _page.MarkClosed();
        lock (_lock)
        {
            foreach (EventPage peer in _peers.Values.Concat(_retiredPeers.Select(r => r.Page)))
            {
                peer.Dispose();
            }

            _peers.Clear();
            _retiredPeers.Clear();
        }

        _host.Delete(EventPageLayout.FileName(DomainId));
        _page.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"event domain {DomainId} ({ChannelsSnapshot.Length} channels)";

    internal EventChannel? ChannelAt(int port) => Volatile.Read(ref _byPort[port]);

    /// <summary>The page of domain <paramref name="domainId"/>, mapped once and shared by all channels to it.</summary>
    internal EventPage GetPeerPage(int domainId)
    {
        lock (_lock)
        {
            return GetPeerPageLocked(domainId);
        }
    }

    internal void Release(EventChannel channel)
    {
        lock (_lock)
        {
            Volatile.Write(ref _byPort[channel.Port], null);
            Volatile.Write(ref _channels, _channels.Where(c => c != channel).ToArray());
            int remote = channel.RemoteDomainId;
            if (remote != DomainId && _peers.TryGetValue(remote, out EventPage? page) && !HasChannelTo(remote))
            {
                _peers.Remove(remote);
                _retiredPeers.Add((page, Environment.TickCount64));
            }

            SweepRetiredPeersLocked();
        }

        EventMetrics.Unregister(channel);
    }

    private static void RemoveStalePage(HostDirectory host, int domainId)
    {
        string name = EventPageLayout.FileName(domainId);
        if (!host.Exists(name))
        {
            return;
        }

        try
        {
            using EventPage old = EventPage.OpenPeer(host, domainId);
            if (old.IsLive && PlatformServices.Liveness.IsAlive(old.Owner))
            {
                throw new PvRingException($"Domain {domainId} is already in use on host '{host.Path}' by pid {old.Owner.ProcessId}.");
            }
        }
        catch (PvRingProtocolException)
        {
            // Not a valid page (a crash mid-creation, an old layout): nobody can be using it.
        }

        host.Delete(name);
    }

    private EventPage GetPeerPageLocked(int domainId)
    {
        if (domainId == DomainId)
        {
            return _page;
        }

        if (_peers.TryGetValue(domainId, out EventPage? page) && (!page.IsLive || !PlatformServices.Liveness.IsAlive(page.Owner)))
        {
            // The domain's process closed its page or died: a new process of the same domain id has a new page.
            _peers.Remove(domainId);
            _retiredPeers.Add((page, Environment.TickCount64));
            page = null;
        }

        SweepRetiredPeersLocked();

        if (page is null)
        {
            try
            {
                page = EventPage.OpenPeer(_host, domainId);
            }
            catch (FileNotFoundException e)
            {
                throw new PvRingException($"Domain {domainId} has no event page on host '{_host.Path}'.", e);
            }

            _peers.Add(domainId, page);
        }

        return page;
    }

    private bool HasChannelTo(int domainId) => _channels.Any(c => c.RemoteDomainId == domainId);

    /// <summary>Unmaps the retired peer pages whose grace period is over and to whose domain no channel is left.</summary>
    private void SweepRetiredPeersLocked()
    {
        long now = Environment.TickCount64;
        _retiredPeers.RemoveAll(retired =>
        {
            if (now - retired.RetiredAt < RetireGraceMilliseconds || HasChannelTo(retired.Page.DomainId))
            {
                return false;
            }

            retired.Page.Dispose();
            return true;
        });
    }

    private int ReservePort(ulong binding)
    {
        for (int port = 1; port < EventPageLayout.MaxPorts; port++)
        {
            if (_byPort[port] is null && Interlocked.CompareExchange(ref _page.Binding(port), binding, 0UL) == 0UL)
            {
                return port;
            }
        }

        throw new PvRingException($"Domain {DomainId} has no free event channel port (all {EventPageLayout.MaxPorts - 1} in use).");
    }

    private EventChannel AddChannel(EventChannel channel, int port)
    {
        Volatile.Write(ref _byPort[port], channel);
        Volatile.Write(ref _channels, [.. _channels, channel]);
        EventMetrics.Register(channel);
        return channel;
    }
}
