// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.Extensions.DependencyInjection;

/// <summary>
/// The settings for connecting to a named listener, bindable from configuration (a section such as
/// <c>PvRing:Connections:demo</c>) and mapped onto <see cref="PvRingConnectionOptions"/>; the defaults are the
/// connection's own (<see cref="PvRingConnectionOptions.DefaultWants"/>).
/// </summary>
public sealed class PvRingConnectionSettings
{
    /// <summary>The host directory the name lives in; null for <see cref="HostDirectory.OpenDefault"/>.</summary>
    public string? HostPath { get; set; }

    /// <summary>The queues wanted (default 1).</summary>
    public int Queues { get; set; } = 1;

    /// <summary>The ring page order wanted (default <see cref="PvRingConnectionOptions.DefaultRingPageOrder"/>).</summary>
    public int RingPageOrder { get; set; } = PvRingConnectionOptions.DefaultRingPageOrder;

    /// <summary>The one grant mode wanted (default <see cref="NetGrantModes.Persistent"/>).</summary>
    public NetGrantModes GrantMode { get; set; } = NetGrantModes.Persistent;

    /// <summary>How long connecting retries and negotiates (<see cref="PvRingConnectionOptions.ConnectTimeout"/>).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Polls before a wait sleeps (<see cref="PvRingConnectionOptions.SpinCount"/>).</summary>
    public int SpinCount { get; set; } = Events.SpinThenBlockWait.DefaultSpinCount;

    /// <summary>Where the queue workers run (<see cref="PvRingConnectionOptions.QueuePlacement"/>).</summary>
    public PvRingQueuePlacement QueuePlacement { get; set; } = PvRingQueuePlacement.None;

    /// <summary>The CPUs for the queue workers (<see cref="PvRingConnectionOptions.QueueCpus"/>); empty or null for none.</summary>
    public IList<int>? QueueCpus { get; set; }

    /// <summary>The NUMA node reported to the back end; null to find it (<see cref="PvRingConnectionOptions.NumaNode"/>).</summary>
    public int? NumaNode { get; set; }

    /// <summary>The options these settings stand for, with <paramref name="logger"/> for the lifecycle events.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range (see <see cref="PvRingConnectionOptions.Validate"/>).</exception>
    public PvRingConnectionOptions ToOptions(Microsoft.Extensions.Logging.ILogger? logger)
    {
        var options = new PvRingConnectionOptions
        {
            Wants = PvRingConnectionOptions.DefaultWants with { Queues = Queues, RingPageOrder = RingPageOrder, GrantModes = GrantMode },
            Host = HostPath is null ? null : new HostDirectory(HostPath),
            ConnectTimeout = ConnectTimeout,
            SpinCount = SpinCount,
            QueuePlacement = QueuePlacement,
            QueueCpus = QueueCpus is { Count: > 0 } cpus ? [.. cpus] : null,
            NumaNode = NumaNode,
            Logger = logger,
        };
        options.Validate();
        return options;
    }
}
