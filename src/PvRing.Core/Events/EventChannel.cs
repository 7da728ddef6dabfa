// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using PvRing.Rings;

namespace PvRing.Events;

/// <summary>
/// One end of an interdomain event channel: a port in this domain's event page bound to a port of the peer's.
/// <see cref="Notify"/> sets the peer's pending bit and wakes it only if it sleeps; <see cref="Wait(TimeSpan, CancellationToken)"/>
/// and <see cref="WaitAsync(TimeSpan, CancellationToken)"/> consume this end's pending bit.
/// </summary>
/// <remarks>
/// Design (Xen's 2-level ABI, docs/events.md): a send is <c>test_and_set(pending)</c>; if the bit was already set
/// the event coalesces and nothing else happens. Otherwise, unless the port is masked, the sender reads the port's
/// waiters word and makes a <c>FUTEX_WAKE</c> only when a waiter announced that it sleeps. The waiter announces
/// (interlocked increment), fences, re-checks pending and only then sleeps: with the sender's "set pending;
/// fence; read waiters" this is the Dekker pair of ring.h's final check, so a wake-up cannot be lost and an awake
/// peer costs no system call. Use one waiting thread (or one pending <see cref="WaitAsync(TimeSpan, CancellationToken)"/>)
/// per channel; any number of threads may notify. A ring consumer calls a wait after <c>RING_FINAL_CHECK_*</c>
/// says "no work" and re-checks its ring after every return (events are hints, as in Xen).
/// </remarks>
public sealed partial class EventChannel : IRingNotifier, IDisposable
{
    private readonly EventDomain _domain;
    private readonly EventPage _local;
    private readonly int _port;
    private readonly int _remoteDomainId;
    private readonly object _attachLock = new();
    private readonly AsyncWaitSource _async;
    private EventPage? _remote;
    private int _remotePort;
    private ulong _boundBinding;
    private int _disposed;
    private ChannelStatistics _stats;

    internal EventChannel(EventDomain domain, EventPage local, int port, int remoteDomainId)
    {
        _domain = domain;
        _local = local;
        _port = port;
        _remoteDomainId = remoteDomainId;
        _async = new AsyncWaitSource(this);
    }

    private enum PollOutcome
    {
        None,
        Signaled,
        Closed,
    }

    /// <summary>This end's port: the number to publish (xenstore's <c>event-channel</c> key) for the peer to bind.</summary>
    public int Port => _port;

    /// <summary>This end's domain id.</summary>
    public int DomainId => _domain.DomainId;

    /// <summary>The peer's domain id.</summary>
    public int RemoteDomainId => _remoteDomainId;

    /// <summary>The peer's port once bound; 0 while <see cref="EventChannelState.Unbound"/>.</summary>
    public int RemotePort => (int)PortBinding.FromValue(Volatile.Read(ref _local.Binding(_port))).RemotePort;

    /// <summary>Where the channel is in its life.</summary>
    public EventChannelState State
    {
        get
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return EventChannelState.Closed;
            }

            return ReadBinding().State switch
            {
                PortState.Unbound => EventChannelState.Unbound,
                PortState.Interdomain => EventChannelState.Bound,
                _ => EventChannelState.PeerClosed,
            };
        }
    }

    /// <summary>Whether an event is pending on this end (masked or not) and not yet consumed by a wait.</summary>
    public bool IsPending => (Volatile.Read(ref _local.PendingWord(_port >> 6)) & (1UL << (_port & 63))) != 0;

    /// <summary>Whether this end is masked: events stay pending and are delivered on <see cref="Unmask"/>.</summary>
    public bool IsMasked => _local.IsMasked(_port);

    /// <summary>The interval between checks that the peer process still lives, in <see cref="Stopwatch"/> ticks.</summary>
    internal long PeerCheckTicks => _domain.PeerCheckTicks;

    /// <summary>A snapshot of this channel's counters.</summary>
    public EventChannelCounters Counters => new(
        Volatile.Read(ref _stats.Sent),
        Volatile.Read(ref _stats.Coalesced),
        Volatile.Read(ref _stats.WakeUps),
        Volatile.Read(ref _stats.Spurious),
        Volatile.Read(ref _stats.SenderSystemCalls) + Volatile.Read(ref _stats.WaiterSystemCalls),
        Volatile.Read(ref _stats.Blocks));

    /// <summary>
    /// Closes this end (Xen's <c>EVTCHNOP_close</c>): the peer's waiter wakes with
    /// <see cref="EventWaitResult.ChannelClosed"/>, and so do this end's own waiters. The port becomes free.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        WakeLocalSleepers();
        _async.TryComplete(EventWaitResult.ChannelClosed, null);
        try
        {
            CloseBinding();
        }
        finally
        {
            _domain.Release(this);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"evtchn dom{DomainId}:{_port} -> dom{_remoteDomainId}:{RemotePort} ({State})";

    [DoesNotReturn]
    private static void ThrowProtocol(string message) => throw new PvRingProtocolException(message);
}
