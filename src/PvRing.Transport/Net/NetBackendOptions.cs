// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;

namespace PvRing.Transport;

/// <summary>What a <see cref="NetBackend"/> offers and how long it waits.</summary>
public sealed class NetBackendOptions
{
    /// <summary>
    /// The features offered, the order and queue count being maxima (default: everything, order up to 4, and
    /// <see cref="NetDeviceFeatures.DefaultMaxQueues"/> queues).
    /// </summary>
    public NetDeviceFeatures Offers { get; init; } = NetDeviceFeatures.All with { Queues = NetDeviceFeatures.DefaultMaxQueues };

    /// <summary>The negotiation's timeout and log; null for the defaults (10 seconds, no log).</summary>
    public XenBusOptions? Bus { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A feature value is out of range.</exception>
    public void Validate()
    {
        Offers.Validate();
        Bus?.Validate();
    }
}
