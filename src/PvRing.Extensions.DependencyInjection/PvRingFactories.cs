// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PvRing.Transport;

namespace PvRing.Extensions.DependencyInjection;

/// <summary>The registered factories: settings by name from the options system, loggers from the container.</summary>
internal sealed class PvRingFactories(
    IOptionsMonitor<PvRingListenerSettings> listeners, IOptionsMonitor<PvRingConnectionSettings> connections, ILoggerFactory? loggers = null)
    : IPvRingListenerFactory, IPvRingConnectionFactory
{
    private readonly ILoggerFactory _loggers = loggers ?? NullLoggerFactory.Instance;

    public Task<PvRingListener> StartAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        PvRingListenerOptions options = listeners.Get(name).ToOptions(_loggers.CreateLogger<PvRingListener>());
        return PvRingListener.StartAsync(name, options, cancellationToken);
    }

    public Task<PvRingConnection> ConnectAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        PvRingConnectionOptions options = connections.Get(name).ToOptions(_loggers.CreateLogger<PvRingConnection>());
        return PvRingConnection.ConnectAsync(name, options, cancellationToken);
    }
}
