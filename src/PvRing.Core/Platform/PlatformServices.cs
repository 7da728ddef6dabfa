// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Platform;

/// <summary>
/// The operating-system implementations PvRing uses, chosen once per process. Only Linux is implemented;
/// elsewhere the first use throws <see cref="PlatformNotSupportedException"/> with the reason.
/// </summary>
internal static class PlatformServices
{
    private static readonly Lazy<IFutex> s_futex = new(() => OperatingSystem.IsLinux() ? new LinuxFutex() : throw NotSupported("futex waits on shared memory"));
    private static readonly Lazy<IThreadAffinity> s_affinity = new(() => OperatingSystem.IsLinux() ? new LinuxThreadAffinity() : throw NotSupported("thread pinning"));
    private static readonly Lazy<INumaMemory> s_numa = new(() => OperatingSystem.IsLinux() ? new LinuxNumaMemory() : throw NotSupported("NUMA memory binding"));
    private static readonly Lazy<IProcessLiveness> s_liveness = new(() => OperatingSystem.IsLinux() ? new LinuxProcessLiveness() : throw NotSupported("peer liveness checks"));

    /// <summary>The futex implementation.</summary>
    internal static IFutex Futex => s_futex.Value;

    /// <summary>The thread-affinity implementation.</summary>
    internal static IThreadAffinity Affinity => s_affinity.Value;

    /// <summary>The NUMA memory-policy implementation.</summary>
    internal static INumaMemory Numa => s_numa.Value;

    /// <summary>The process-liveness implementation.</summary>
    internal static IProcessLiveness Liveness => s_liveness.Value;

    private static PlatformNotSupportedException NotSupported(string what) =>
        new($"PvRing implements {what} on Linux only so far; this is {System.Runtime.InteropServices.RuntimeInformation.OSDescription}.");
}
