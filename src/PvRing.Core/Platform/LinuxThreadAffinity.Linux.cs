// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Platform;

/// <summary>
/// <see cref="IThreadAffinity"/> over <c>sched_setaffinity</c>/<c>sched_getaffinity</c> with pid 0, which on
/// Linux means the calling thread (not the whole process), and <c>sched_getcpu</c>.
/// </summary>
internal sealed unsafe class LinuxThreadAffinity : IThreadAffinity
{
    /// <summary>The CPU mask size in 64-bit words: 1024 CPUs, glibc's <c>CPU_SETSIZE</c>.</summary>
    internal const int MaskWords = 16;

    public void SetCurrentThreadAffinity(ReadOnlySpan<int> cpus)
    {
        ulong* mask = stackalloc ulong[MaskWords];
        new Span<ulong>(mask, MaskWords).Clear();
        foreach (int cpu in cpus)
        {
            if ((uint)cpu >= MaskWords * 64)
            {
                throw new ArgumentOutOfRangeException(nameof(cpus), cpu, $"CPU ids must be below {MaskWords * 64}.");
            }

            mask[cpu >> 6] |= 1UL << (cpu & 63);
        }

        if (LinuxInterop.SchedSetAffinity(0, MaskWords * sizeof(ulong), mask) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new PvRingException(errno == LinuxInterop.EINVAL
                ? $"sched_setaffinity refused cpus=[{string.Join(',', cpus.ToArray())}]: none of them is online and allowed for this process (errno=EINVAL)."
                : $"sched_setaffinity failed for cpus=[{string.Join(',', cpus.ToArray())}]: errno={errno}.");
        }
    }

    public int[] GetCurrentThreadAffinity()
    {
        ulong* mask = stackalloc ulong[MaskWords];
        new Span<ulong>(mask, MaskWords).Clear();
        if (LinuxInterop.SchedGetAffinity(0, MaskWords * sizeof(ulong), mask) != 0)
        {
            throw new PvRingException($"sched_getaffinity failed: errno={Marshal.GetLastPInvokeError()}.");
        }

        var cpus = new List<int>();
        for (int word = 0; word < MaskWords; word++)
        {
            for (ulong bits = mask[word]; bits != 0; bits &= bits - 1)
            {
                cpus.Add((word * 64) + System.Numerics.BitOperations.TrailingZeroCount(bits));
            }
        }

        return cpus.ToArray();
    }

    public int GetCurrentCpu()
    {
        int cpu = LinuxInterop.SchedGetCpu();
        return cpu >= 0 ? cpu : throw new PvRingException($"sched_getcpu failed: errno={Marshal.GetLastPInvokeError()}.");
    }
}
