// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Logging;

namespace PvRing.Bus;

/// <summary>Bounds and diagnostics for a <see cref="XenBusFrontend"/> or <see cref="XenBusBackend"/>.</summary>
public sealed class XenBusOptions
{
    /// <summary>The longest any wait for the peer's state lasts (default 10 seconds).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where lifecycle events go (state changes, the front's published choices, refusals; event ids 200-219); null for none.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is not positive.</exception>
    public void Validate() => ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero, nameof(Timeout));
}
