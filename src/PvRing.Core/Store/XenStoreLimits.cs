// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Store;

/// <summary>
/// The size limits and per-domain quotas a <see cref="XenStoreServer"/> enforces. Domain 0 (a privileged
/// connection) is exempt from the quotas, as in xenstored; the size limits apply to everyone.
/// </summary>
public sealed class XenStoreLimits
{
    /// <summary>Xen's <c>XENSTORE_PAYLOAD_MAX</c>: the largest message payload on the wire.</summary>
    public const int PayloadMax = 4096;

    /// <summary>Xen's <c>XENSTORE_ABS_PATH_MAX</c>.</summary>
    public const int AbsolutePathMax = 3072;

    /// <summary>Xen's <c>XENSTORE_REL_PATH_MAX</c>.</summary>
    public const int RelativePathMax = 2048;

    /// <summary>The largest value a node may hold, in bytes (default 4096, the payload limit; at least 1).</summary>
    public int MaxValueSize { get; init; } = PayloadMax;

    /// <summary>The most nodes one unprivileged domain may own (default 1000).</summary>
    public int MaxNodesPerDomain { get; init; } = 1000;

    /// <summary>The most watches one unprivileged connection may hold (default 128).</summary>
    public int MaxWatchesPerConnection { get; init; } = 128;

    /// <summary>The most open transactions one unprivileged connection may hold (default 10).</summary>
    public int MaxTransactionsPerConnection { get; init; } = 10;

    /// <summary>
    /// Watch events queued to one connection that has not read them yet; past this the connection is
    /// dropped, so a client that never reads cannot make the server grow without bound (default 1024).
    /// </summary>
    public int MaxPendingEventsPerConnection { get; init; } = 1024;

    /// <summary>
    /// Reply bytes queued to one connection that has not read them yet; past this the server stops reading that
    /// connection's requests until it reads its replies (xenstored's rule), so a client that writes requests and never
    /// reads cannot make the server grow without bound (default 1 MiB).
    /// </summary>
    public int MaxPendingReplyBytesPerConnection { get; init; } = 1 << 20;

    /// <summary>The most simultaneous connections (default 256).</summary>
    public int MaxConnections { get; init; } = 256;

    /// <summary>Checks every limit.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxValueSize, 1, nameof(MaxValueSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxValueSize, PayloadMax, nameof(MaxValueSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxNodesPerDomain, 1, nameof(MaxNodesPerDomain));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxWatchesPerConnection, 1, nameof(MaxWatchesPerConnection));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTransactionsPerConnection, 1, nameof(MaxTransactionsPerConnection));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingEventsPerConnection, 1, nameof(MaxPendingEventsPerConnection));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingReplyBytesPerConnection, 4096, nameof(MaxPendingReplyBytesPerConnection));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnections, 1, nameof(MaxConnections));
    }
}
