// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Bus;

/// <summary>Bounds and diagnostics for a <see cref="XenBusFrontend"/> or <see cref="XenBusBackend"/>.</summary>
public sealed class XenBusOptions
{
    /// <summary>The longest any wait for the peer's state lasts (default 10 seconds).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>An optional sink for one-line diagnostics (state changes, refusals).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is not positive.</exception>
    public void Validate() => ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero, nameof(Timeout));
}
