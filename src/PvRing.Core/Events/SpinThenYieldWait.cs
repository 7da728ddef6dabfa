// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Events;

/// <summary>
/// Polls with pause instructions for <see cref="SpinCount"/> iterations, then keeps polling but yields the CPU
/// (<c>sched_yield</c>) between polls. Never sleeps in the kernel.
/// </summary>
/// <remarks>
/// Cost: no wake-up system call for the sender; while waiting, a system call per poll after the spin phase and
/// a CPU that looks busy to the scheduler (other runnable threads get it, an idle machine burns it). Latency
/// after the spin phase is one scheduler round on a busy CPU. <c>default(SpinThenYieldWait)</c> yields from
/// the first poll.
/// </remarks>
public readonly struct SpinThenYieldWait : IWaitStrategy
{
    /// <summary>The spin count used by the parameterless constructor.</summary>
    public const int DefaultSpinCount = 2000;

    /// <summary>Creates a strategy that spins <see cref="DefaultSpinCount"/> polls before yielding.</summary>
    public SpinThenYieldWait()
        : this(DefaultSpinCount)
    {
    }

    /// <summary>Creates a strategy that spins <paramref name="spinCount"/> polls before yielding.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="spinCount"/> is negative.</exception>
    public SpinThenYieldWait(int spinCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(spinCount);
        SpinCount = spinCount;
    }

    /// <summary>Polls spent spinning before the first yield.</summary>
    public int SpinCount { get; }

    /// <inheritdoc/>
    public bool Pause(int iteration)
    {
        if (iteration < SpinCount)
        {
            Thread.SpinWait(1);
        }
        else
        {
            Thread.Yield();
        }

        return true;
    }
}
