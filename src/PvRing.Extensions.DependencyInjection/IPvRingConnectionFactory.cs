// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Transport;

namespace PvRing.Extensions.DependencyInjection;

/// <summary>Connects to named listeners with the settings registered for each name (<c>AddPvRingConnection</c>).</summary>
public interface IPvRingConnectionFactory
{
    /// <summary>
    /// Connects to the listener called <paramref name="name"/> (<see cref="PvRingConnection.ConnectAsync"/>) with the
    /// <see cref="PvRingConnectionSettings"/> registered under that name (the defaults when none were), logging to the
    /// container's <c>ILoggerFactory</c>.
    /// </summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The settings for the name are invalid.</exception>
    Task<PvRingConnection> ConnectAsync(string name, CancellationToken cancellationToken);
}
