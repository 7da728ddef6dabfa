// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>
/// The grant counters of one user of a domain, such as one queue of a device: the "PvRing.Grants" meter
/// (<see cref="GrantMetrics"/>) reports them apart from the domain's own, with <c>device</c> and <c>queue</c> tags beside
/// the domain's. Pass it to the granter's calls (<see cref="GrantDomain.GrantAccess"/>, <see cref="GrantDomain.TryGrantAccess"/>,
/// <see cref="GrantDomain.TryEndAccess(uint, GrantUserCounters?)"/>, <see cref="GrantDomain.EndAccessWhenUnmapped"/>) or to a
/// grantee's mapper when creating it (<see cref="GrantMapperFactory.Create"/>, <see cref="GrantCopier"/>,
/// <see cref="GrantMapper"/>, <see cref="PersistentGrantMapper"/>, <see cref="DeferredUnmapMapper"/>): what those count
/// (grants issued and ended; maps, unmaps, copies, copied bytes, flushes) goes here instead of to the domain's
/// untagged series, so the series of a domain add up to its total.
/// </summary>
/// <remarks>
/// Design: the device and queue are opaque to Core (the transport names its devices, as it names its rings in
/// <c>EnableMetrics</c>). The counts are the same <see cref="Interlocked"/> adds the domain makes, on an object of this user's
/// own, so a queue's thread no longer shares the counters' cache line with the other queues' threads. Reported from
/// construction until <see cref="Dispose"/>; dispose it with the user (the queue), before or after its domain.
/// </remarks>
public sealed class GrantUserCounters : IDisposable
{
    private int _disposed;

    /// <summary>Counters for a user of <paramref name="domain"/>'s granting side (grants issued and ended).</summary>
    /// <param name="domain">The granting domain the user grants through.</param>
    /// <param name="device">The <c>device</c> tag (the transport's device name).</param>
    /// <param name="queue">The <c>queue</c> tag, 0 or more.</param>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="device"/> is null or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="queue"/> is negative.</exception>
    public GrantUserCounters(GrantDomain domain, string device, int queue)
        : this((object)domain, device, queue)
    {
        GrantMetrics.Register(this, domain.DomainId, grantee: null);
    }

    /// <summary>Counters for a user of <paramref name="domain"/>'s grants on the mapping side (maps, unmaps, copies, flushes).</summary>
    /// <param name="domain">The granter's memory the user maps or copies from.</param>
    /// <param name="device">The <c>device</c> tag (the transport's device name).</param>
    /// <param name="queue">The <c>queue</c> tag, 0 or more.</param>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="device"/> is null or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="queue"/> is negative.</exception>
    public GrantUserCounters(ForeignDomain domain, string device, int queue)
        : this((object)domain, device, queue)
    {
        GrantMetrics.Register(this, domain.DomainId, domain.LocalDomainId);
    }

    private GrantUserCounters(object domain, string device, int queue)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentException.ThrowIfNullOrEmpty(device);
        ArgumentOutOfRangeException.ThrowIfNegative(queue);
        Domain = domain;
        Device = device;
        Queue = queue;
    }

    /// <summary>The <c>device</c> tag.</summary>
    public string Device { get; }

    /// <summary>The <c>queue</c> tag.</summary>
    public int Queue { get; }

    /// <summary>The domain these counters belong to (a <see cref="GrantDomain"/> or a <see cref="ForeignDomain"/>).</summary>
    internal object Domain { get; }

    internal GrantCounters Counters { get; } = new();

    /// <summary>Stops reporting these counters.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            GrantMetrics.Unregister(Counters);
        }
    }

    /// <summary>The counters a call on <paramref name="domain"/> with <paramref name="user"/> adds to: the user's, or the domain's.</summary>
    /// <exception cref="ArgumentException"><paramref name="user"/> belongs to another domain.</exception>
    internal static GrantCounters Select(GrantUserCounters? user, object domain, GrantCounters domainCounters)
    {
        if (user is null)
        {
            return domainCounters;
        }

        if (!ReferenceEquals(user.Domain, domain))
        {
            GrantThrowHelper.ThrowForeignCounters(user.Device, user.Queue);
        }

        return user.Counters;
    }
}
