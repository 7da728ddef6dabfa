// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Logging;
using PvRing.Memory;

namespace PvRing.Transport;

/// <summary>What a <see cref="PvRingListener"/> offers and where it listens.</summary>
public sealed class PvRingListenerOptions
{
    /// <summary>
    /// The features offered, the order being the maximum (default: everything). Split event channels are always offered:
    /// a connection's send and receive wait on their own channels.
    /// </summary>
    public NetDeviceFeatures Offers { get; init; } = NetDeviceFeatures.All;

    /// <summary>The host directory the name lives in (default <see cref="HostDirectory.OpenDefault"/>).</summary>
    public HostDirectory? Host { get; init; }

    /// <summary>
    /// An external xenstore-compatible store to use instead of hosting one (for example <c>pvring store --socket PATH</c>),
    /// by its socket's full path; null (the default) hosts an embedded store in the name's directory. The listener records
    /// the path in the name's directory (a 0600 file), so front ends still connect by name only. One listener per store:
    /// its keys are <c>/pvring/*</c>, and a second listener on the same store is refused while the first one's process lives.
    /// </summary>
    public string? StoreSocket { get; init; }

    /// <summary>How long a front end may take to negotiate once it has claimed its domain (default 10 s).</summary>
    public TimeSpan NegotiationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How many polls an accepted connection's waiting send or receive makes before it awaits (see <see cref="PvRingConnectionOptions.SpinCount"/>).</summary>
    public int SpinCount { get; init; } = Events.SpinThenBlockWait.DefaultSpinCount;

    /// <summary>Where lifecycle events go (listening, connected with the features, peer gone, protocol error); null for none.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A feature is out of range or the timeout is not positive.</exception>
    /// <exception cref="ArgumentException"><see cref="StoreSocket"/> is not a full path.</exception>
    public void Validate()
    {
        Offers.Validate();
        if (StoreSocket is not null && !Path.IsPathFullyQualified(StoreSocket))
        {
            throw new ArgumentException($"StoreSocket must be a full path, not '{StoreSocket}'.", nameof(StoreSocket));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(NegotiationTimeout, TimeSpan.Zero, nameof(NegotiationTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(SpinCount, nameof(SpinCount));
    }
}
