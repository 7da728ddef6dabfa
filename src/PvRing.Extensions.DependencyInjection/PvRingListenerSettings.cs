// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.Extensions.DependencyInjection;

/// <summary>
/// A named listener's settings, bindable from configuration (a section such as <c>PvRing:Listeners:demo</c>) and
/// mapped onto <see cref="PvRingListenerOptions"/>; the defaults are the listener's own.
/// </summary>
public sealed class PvRingListenerSettings
{
    /// <summary>The host directory to listen in; null for <see cref="HostDirectory.OpenDefault"/>.</summary>
    public string? HostPath { get; set; }

    /// <summary>An external store's socket to join instead of hosting one (<see cref="PvRingListenerOptions.StoreSocket"/>).</summary>
    public string? StoreSocket { get; set; }

    /// <summary>The most queues offered (default <see cref="NetDeviceFeatures.DefaultMaxQueues"/>).</summary>
    public int MaxQueues { get; set; } = NetDeviceFeatures.DefaultMaxQueues;

    /// <summary>The largest ring page order offered; null for the listener's default.</summary>
    public int? MaxRingPageOrder { get; set; }

    /// <summary>The grant modes offered (flags, for example <c>"Copy, Persistent"</c>); null for all.</summary>
    public NetGrantModes? GrantModes { get; set; }

    /// <summary>How long a front end's negotiation may take (<see cref="PvRingListenerOptions.NegotiationTimeout"/>).</summary>
    public TimeSpan NegotiationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Polls before a wait sleeps (<see cref="PvRingListenerOptions.SpinCount"/>).</summary>
    public int SpinCount { get; set; } = Events.SpinThenBlockWait.DefaultSpinCount;

    /// <summary>Where the accepted connections' queue workers run (<see cref="PvRingListenerOptions.QueuePlacement"/>).</summary>
    public PvRingQueuePlacement QueuePlacement { get; set; } = PvRingQueuePlacement.Spread;

    /// <summary>The CPUs for the queue workers (<see cref="PvRingListenerOptions.QueueCpus"/>); empty or null for none.</summary>
    public IList<int>? QueueCpus { get; set; }

    /// <summary>The options these settings stand for, with <paramref name="logger"/> for the lifecycle events.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range (see <see cref="PvRingListenerOptions.Validate"/>).</exception>
    public PvRingListenerOptions ToOptions(Microsoft.Extensions.Logging.ILogger? logger)
    {
        NetDeviceFeatures offers = PvRingListenerOptions.DefaultOffers with { Queues = MaxQueues };
        if (MaxRingPageOrder is int order)
        {
            offers = offers with { RingPageOrder = order };
        }

        if (GrantModes is NetGrantModes modes)
        {
            offers = offers with { GrantModes = modes };
        }

        var options = new PvRingListenerOptions
        {
            Offers = offers,
            Host = HostPath is null ? null : new HostDirectory(HostPath),
            StoreSocket = StoreSocket,
            NegotiationTimeout = NegotiationTimeout,
            SpinCount = SpinCount,
            QueuePlacement = QueuePlacement,
            QueueCpus = QueueCpus is { Count: > 0 } cpus ? [.. cpus] : null,
            Logger = logger,
        };
        options.Validate();
        return options;
    }
}
