// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Events;

/// <summary>
/// The default: polls with pause instructions for <see cref="SpinCount"/> iterations, then with yields for
/// <see cref="YieldCount"/> more, then sleeps on the port's futex until notified.
/// </summary>
/// <remarks>
/// Cost: when the event comes during the spin phase, as cheap as <see cref="BusySpinWait"/>; after that the
/// sender pays one <c>FUTEX_WAKE</c> system call and the waiter one <c>FUTEX_WAIT</c> plus a wake-up (tens of
/// microseconds on a VM), and an idle waiter uses no CPU. Tune <see cref="SpinCount"/> to a little more than
/// the usual gap between events. <c>default(SpinThenBlockWait)</c> sleeps after the first unsuccessful poll.
/// </remarks>
public readonly struct SpinThenBlockWait : IWaitStrategy
{
    /// <summary>The spin count used by the parameterless constructor.</summary>
    public const int DefaultSpinCount = 2000;

    /// <summary>The yield count used by the parameterless constructor.</summary>
    public const int DefaultYieldCount = 10;

    /// <summary>Creates a strategy with <see cref="DefaultSpinCount"/> and <see cref="DefaultYieldCount"/>.</summary>
    public SpinThenBlockWait()
        : this(DefaultSpinCount, DefaultYieldCount)
    {
    }

    /// <summary>Creates a strategy that spins, then yields, the given number of polls before sleeping.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    public SpinThenBlockWait(int spinCount, int yieldCount = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(spinCount);
        ArgumentOutOfRangeException.ThrowIfNegative(yieldCount);
        SpinCount = spinCount;
        YieldCount = yieldCount;
    }

    /// <summary>Polls spent spinning.</summary>
    public int SpinCount { get; }

    /// <summary>Polls spent yielding after the spin phase.</summary>
    public int YieldCount { get; }

    /// <inheritdoc/>
    public bool Pause(int iteration)
    {
        if (iteration < SpinCount)
        {
            Thread.SpinWait(1);
            return true;
        }

        if (iteration < SpinCount + YieldCount)
        {
            Thread.Yield();
            return true;
        }

        return false;
    }
}
