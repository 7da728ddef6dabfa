// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Transport;

namespace PvRing.Extensions.DependencyInjection;

/// <summary>Starts the listeners registered by name (<c>AddPvRingListener</c>).</summary>
public interface IPvRingListenerFactory
{
    /// <summary>
    /// Starts listening as <paramref name="name"/> (<see cref="PvRingListener.StartAsync"/>) with the
    /// <see cref="PvRingListenerSettings"/> registered under that name, logging to the container's <c>ILoggerFactory</c>.
    /// The caller owns (and disposes) the listener.
    /// </summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The settings for the name are invalid.</exception>
    Task<PvRingListener> StartAsync(string name, CancellationToken cancellationToken);
}
