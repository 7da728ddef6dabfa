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
    public NetDeviceFeatures Wants { get; init; } = DefaultWants;

    /// <summary>
    /// What a connection wants by default, to change with <c>with</c> (for example <c>DefaultWants with { Queues = 4 }</c>):
    /// every ring feature, order <see cref="DefaultRingPageOrder"/>, scatter-gather, persistent grants, NUMA affinity, one queue.
    /// </summary>
    public static NetDeviceFeatures DefaultWants => NetDeviceFeatures.All with { RingPageOrder = DefaultRingPageOrder, GrantModes = NetGrantModes.Persistent };

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

    /// <summary>Where lifecycle events go (listening, connected with the features, queue placement, peer gone, protocol error); null for none.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Where this end's queue workers run (<see cref="PvRingConnection.RunWorkers"/>): not pinned by default (the back end
    /// pins its workers; pin the front's too with <see cref="PvRingQueuePlacement.Spread"/> or <see cref="QueueCpus"/>). A
    /// front's spread starts from the last CPU where the back's starts from the first, so queue i's two ends sit on
    /// different cores when they share a machine of two or more.
    /// </summary>
    public PvRingQueuePlacement QueuePlacement { get; init; } = PvRingQueuePlacement.None;

    /// <summary>The CPUs for the queue workers, queue i on entry i modulo the count; overrides <see cref="QueuePlacement"/>. Null: none given.</summary>
    public IReadOnlyList<int>? QueueCpus { get; init; }

    /// <summary>
    /// The NUMA node this end reports to the back end (<c>numa-node</c>, with <see cref="NetDeviceFeatures.NumaAffinity"/>);
    /// null (the default) finds it: the node of the CPUs this process may use, when they are all on one.
    /// </summary>
    public int? NumaNode { get; init; }

    /// <summary>A sysfs root to read the topology from instead of <c>/sys</c> (tests give a fake tree).</summary>
    internal string? SysRoot { get; init; }

    /// <summary>The CPUs this process may use, instead of asking the kernel (tests).</summary>
    internal IReadOnlyCollection<int>? AllowedCpus { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A feature is out of range (queues 1 to 256), not exactly one grant mode is wanted, the timeout is not positive, the
    /// spin count is negative, the NUMA node or a queue CPU is out of range, or the placement is unknown.
    /// </exception>
    public void Validate()
    {
        new NetFrontendOptions { Wants = Wants, NumaNode = NumaNode }.Validate();
        _ = NetFrontend.DomainOptionsFor(Wants); // the queues' grants must fit one table
        PvRingListenerOptions.ValidatePlacement(QueuePlacement, QueueCpus);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(SpinCount, nameof(SpinCount));
    }
}
