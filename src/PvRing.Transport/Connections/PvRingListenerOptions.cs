// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Logging;
using PvRing.Memory;

namespace PvRing.Transport;

/// <summary>What a <see cref="PvRingListener"/> offers and where it listens.</summary>
public sealed class PvRingListenerOptions
{
    /// <summary>
    /// The features offered, the order and queue count being maxima (default: <see cref="DefaultOffers"/>). Split event channels are always offered:
    /// a connection's send and receive wait on their own channels.
    /// </summary>
    public NetDeviceFeatures Offers { get; init; } = DefaultOffers;

    /// <summary>
    /// What a listener offers by default, to change with <c>with</c>: every feature, order up to 4, every grant mode, NUMA
    /// affinity, and <see cref="NetDeviceFeatures.DefaultMaxQueues"/> queues.
    /// </summary>
    public static NetDeviceFeatures DefaultOffers => NetDeviceFeatures.All with { Queues = NetDeviceFeatures.DefaultMaxQueues };

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

    /// <summary>Where lifecycle events go (listening, connected with the features, queue placement, peer gone, protocol error); null for none.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Where each accepted connection's queue workers run (<see cref="PvRingConnection.RunWorkers"/>): spread over this
    /// process's cores by default, on the front end's NUMA node when it reports one and the machine has several. The
    /// choice is <see cref="PvRingConnection.Placement"/> and is logged.
    /// </summary>
    public PvRingQueuePlacement QueuePlacement { get; init; } = PvRingQueuePlacement.Spread;

    /// <summary>The CPUs for the queue workers, queue i on entry i modulo the count; overrides <see cref="QueuePlacement"/>. Null: none given.</summary>
    public IReadOnlyList<int>? QueueCpus { get; init; }

    /// <summary>A sysfs root to read the topology from instead of <c>/sys</c> (tests give a fake tree).</summary>
    internal string? SysRoot { get; init; }

    /// <summary>The CPUs this process may use, instead of asking the kernel (tests).</summary>
    internal IReadOnlyCollection<int>? AllowedCpus { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A feature is out of range (queues 1 to 256), the timeout is not positive, the spin count is negative, or the placement is unknown or names a CPU out of range.</exception>
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
        ValidatePlacement(QueuePlacement, QueueCpus);
    }

    /// <summary>Checks a placement: a known mode, and CPU ids 0 to 1023.</summary>
    internal static void ValidatePlacement(PvRingQueuePlacement placement, IReadOnlyList<int>? cpus)
    {
        if (placement is not (PvRingQueuePlacement.None or PvRingQueuePlacement.Spread))
        {
            throw new ArgumentOutOfRangeException(nameof(QueuePlacement), placement, "Not a queue placement.");
        }

        foreach (int cpu in cpus ?? [])
        {
            if (cpu is < 0 or > 1023)
            {
                throw new ArgumentOutOfRangeException(nameof(QueueCpus), cpu, "A queue CPU must be 0 to 1023.");
            }
        }
    }
}
