// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;

namespace PvRing.Transport;

/// <summary>What a <see cref="NetFrontend"/> asks for and how long it waits.</summary>
public sealed class NetFrontendOptions
{
    /// <summary>The features wanted (default: every ring feature and split event channels, one-page rings).</summary>
    public NetDeviceFeatures Wants { get; init; } = NetDeviceFeatures.All with { RingPageOrder = 0 };

    /// <summary>
    /// The first arena frame the rings use: the transmit ring takes 2^order frames from here, the receive ring the
    /// next 2^order (default 0).
    /// </summary>
    public uint FirstFrame { get; init; }

    /// <summary>The negotiation's timeout and log; null for the defaults (10 seconds, no log).</summary>
    public XenBusOptions? Bus { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A feature value is out of range.</exception>
    public void Validate()
    {
        Wants.Validate();
        Bus?.Validate();
    }
}
