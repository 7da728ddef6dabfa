// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Logging;
using PvRing.Memory;

namespace PvRing.Transport;

/// <summary>What a <see cref="PvRingConnection"/> asks for when it connects by name.</summary>
public sealed class PvRingConnectionOptions
{
    /// <summary>
    /// The features wanted (default: every ring feature, four-page rings (<see cref="DefaultRingPageOrder"/>), scatter-gather,
    /// persistent grants). Split event channels are always on: a connection's send and receive wait on their own channels.
    /// </summary>
    public NetDeviceFeatures Wants { get; init; } = NetDeviceFeatures.All with { RingPageOrder = DefaultRingPageOrder, GrantModes = NetGrantModes.Persistent };

    /// <summary>
    /// The ring page order a connection wants by default: 2 (four pages per ring). Measured with <c>apistream</c>, bulk
    /// bytes through the pipe ran ~1.4x faster than with one-page rings (more 64 KiB packets in flight); a 64 B round trip
    /// does not depend on it. The listener may offer less.
    /// </summary>
    public const int DefaultRingPageOrder = 2;

    /// <summary>The host directory the name lives in (default <see cref="HostDirectory.OpenDefault"/>).</summary>
    public HostDirectory? Host { get; init; }

    /// <summary>How long <see cref="PvRingConnection.ConnectAsync"/> retries while no listener is there, and bounds the negotiation (default 10 s).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many polls (each a <see cref="Thread.SpinWait(int)"/> of 1) a send or receive that cannot complete makes on its
    /// own thread before it arms the ring and awaits the event channel (default 2000, as <c>SpinThenBlockWait</c>); 0 awaits at
    /// once. Spinning turns a round trip from two thread wake-ups into a few hundred nanoseconds when the peer answers
    /// quickly, at the cost of that much CPU per wait.
    /// </summary>
    public int SpinCount { get; init; } = Events.SpinThenBlockWait.DefaultSpinCount;

    /// <summary>Where lifecycle events go (listening, connected with the features, peer gone, protocol error); null for none.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A feature is out of range, not exactly one grant mode is wanted, or the timeout is not positive.</exception>
    public void Validate()
    {
        new NetFrontendOptions { Wants = Wants }.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(SpinCount, nameof(SpinCount));
    }
}
