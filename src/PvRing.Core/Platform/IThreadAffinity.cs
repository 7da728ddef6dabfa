// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Platform;

/// <summary>Pins the calling thread to CPUs and reports where it runs; the platform half of <see cref="CpuAffinity"/>.</summary>
internal interface IThreadAffinity
{
    /// <summary>Restricts the calling thread to the CPUs listed (ids already validated non-negative, not empty).</summary>
    void SetCurrentThreadAffinity(ReadOnlySpan<int> cpus);

    /// <summary>The CPUs the calling thread may run on, ascending.</summary>
    int[] GetCurrentThreadAffinity();

    /// <summary>The CPU the calling thread is running on now.</summary>
    int GetCurrentCpu();
}
