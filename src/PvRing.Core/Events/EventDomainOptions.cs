// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Events;

/// <summary>Settings of an <see cref="EventDomain"/>; validated when the domain is created.</summary>
public sealed class EventDomainOptions
{
    /// <summary>The longest accepted <see cref="PeerCheckInterval"/>.</summary>
    public static readonly TimeSpan MaxPeerCheckInterval = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a sleeping waiter stays in the kernel before it checks that the peer process is still alive
    /// (default 200 ms). This bounds how late a peer's death is noticed; each check reads one small /proc file.
    /// </summary>
    public TimeSpan PeerCheckInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The spin phase of the default wait (<see cref="SpinThenBlockWait.SpinCount"/>) used by
    /// <see cref="EventChannel.Wait(TimeSpan, CancellationToken)"/>.</summary>
    public int SpinCount { get; set; } = SpinThenBlockWait.DefaultSpinCount;

    /// <summary>The yield phase of the default wait (<see cref="SpinThenBlockWait.YieldCount"/>).</summary>
    public int YieldCount { get; set; } = SpinThenBlockWait.DefaultYieldCount;

    internal void Validate()
    {
        if (PeerCheckInterval < TimeSpan.FromMilliseconds(1) || PeerCheckInterval > MaxPeerCheckInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(PeerCheckInterval), PeerCheckInterval,
                $"{nameof(PeerCheckInterval)} must be between 1 ms and {MaxPeerCheckInterval.TotalSeconds} s.");
        }

        if (SpinCount < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(SpinCount), SpinCount, $"{nameof(SpinCount)} must not be negative.");
        }

        if (YieldCount < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(YieldCount), YieldCount, $"{nameof(YieldCount)} must not be negative.");
        }
    }
}
