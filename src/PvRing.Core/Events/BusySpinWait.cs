// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Events;

/// <summary>
/// Polls forever with the CPU's pause instruction and never sleeps.
/// </summary>
/// <remarks>
/// Cost: the lowest wake-up latency (a cache-line transfer, no system call on either side, since the sender
/// sees no sleeper), paid for with one CPU at 100 % for as long as the wait lasts, idle or not. Use it only on
/// a pinned core reserved for the channel. Timeouts, cancellation, close and peer death are still noticed:
/// the waiter checks them between polls.
/// </remarks>
public readonly struct BusySpinWait : IWaitStrategy
{
    /// <inheritdoc/>
    public bool Pause(int iteration)
    {
        Thread.SpinWait(1);
        return true;
    }
}
