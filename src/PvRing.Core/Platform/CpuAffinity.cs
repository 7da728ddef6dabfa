// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Platform;

/// <summary>
/// Pins threads to CPUs so that a measurement sees cache-line traffic between chosen cores rather than the
/// scheduler's moves. Pair it with <see cref="CpuTopology.FindPair"/> to choose the CPUs.
/// </summary>
public static class CpuAffinity
{
    /// <summary>
    /// Restricts the calling thread (only this thread, not the process) to <paramref name="cpus"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="cpus"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A CPU id is negative or above 1023.</exception>
    /// <exception cref="PvRingException">The kernel refused (for example none of the CPUs is online or allowed).</exception>
    public static void PinCurrentThread(params ReadOnlySpan<int> cpus)
    {
        if (cpus.IsEmpty)
        {
            throw new ArgumentException("At least one CPU is needed.", nameof(cpus));
        }

        foreach (int cpu in cpus)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(cpu, nameof(cpus));
        }

        PlatformServices.Affinity.SetCurrentThreadAffinity(cpus);
    }

    /// <summary>The CPUs the calling thread may run on, ascending.</summary>
    public static IReadOnlyList<int> GetCurrentThreadAffinity() => PlatformServices.Affinity.GetCurrentThreadAffinity();

    /// <summary>The CPU the calling thread runs on at this instant (<c>sched_getcpu</c>); an unpinned thread may move right after.</summary>
    public static int GetCurrentCpu() => PlatformServices.Affinity.GetCurrentCpu();
}
