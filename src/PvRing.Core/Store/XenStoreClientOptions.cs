// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Logging;

namespace PvRing.Store;

/// <summary>How a <see cref="XenStoreClient"/> connects and how long it waits.</summary>
public sealed class XenStoreClientOptions
{
    /// <summary>The store's Unix socket. Required.</summary>
    public string SocketPath { get; init; } = "";

    /// <summary>
    /// The domain this connection acts as. Null (the default) keeps the plain connection, which the store
    /// treats as domain 0, privileged, like the stock tools; a value 1..32751 makes the connection that
    /// unprivileged domain for its whole life, and the store fires <c>@releaseDomain</c> when it closes.
    /// </summary>
    public int? DomainId { get; init; }

    /// <summary>The longest any single request waits for its reply (default 30 seconds).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times <see cref="XenStoreClient.RunTransactionAsync{T}"/> runs a body that keeps conflicting (default 32).</summary>
    public int MaxTransactionAttempts { get; init; } = 32;

    /// <summary>Where lifecycle events go (transaction conflicts retried, the connection ending; event ids 120-139); null for none.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(SocketPath, nameof(SocketPath));
        if (DomainId is { } domain)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(domain, 1, nameof(DomainId));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(domain, XenStorePermission.MaxDomainId, nameof(DomainId));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTransactionAttempts, 1, nameof(MaxTransactionAttempts));
    }
}
