// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Logging;

namespace PvRing.Store;

/// <summary>How a <see cref="XenStoreServer"/> listens and what it enforces.</summary>
public sealed class XenStoreServerOptions
{
    /// <summary>The Unix socket path the server creates (mode 0600). Required.</summary>
    public string SocketPath { get; init; } = "";

    /// <summary>Size limits and quotas; the defaults follow xenstored.</summary>
    public XenStoreLimits Limits { get; init; } = new();

    /// <summary>
    /// How often the server checks that the process behind each domain connection is still alive (its pid
    /// comes from <c>SO_PEERCRED</c>); a closed connection is noticed at once regardless. Default 1 second.
    /// </summary>
    public TimeSpan ProcessProbeInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Where lifecycle events go (connections, refused requests and payloads, domains introduced and released, peers gone; event ids 100-119); null for none.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">The socket path is empty or a limit is out of range.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(SocketPath, nameof(SocketPath));
        ArgumentNullException.ThrowIfNull(Limits, nameof(Limits));
        Limits.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(ProcessProbeInterval, TimeSpan.FromMilliseconds(10), nameof(ProcessProbeInterval));
    }
}
