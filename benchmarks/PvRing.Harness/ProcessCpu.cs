// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.Runtime.InteropServices;

namespace PvRing.Harness;

/// <summary>
/// CPU time of a process, all its threads, user and system, in seconds with nanosecond resolution: the sum of the
/// first field (time on the CPU) of every thread's <c>/proc/PID/task/TID/schedstat</c>. <c>getrusage</c> and
/// <c>/proc/PID/stat</c> count in 10 ms ticks, too coarse for a 10 ms busy-spin run.
/// </summary>
internal static class ProcessCpu
{
    /// <summary>CPU seconds used so far by <paramref name="pid"/>; NaN once it is gone.</summary>
    public static double Seconds(int pid)
    {
        try
        {
            long nanoseconds = 0;
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    string text = File.ReadAllText(Path.Combine(task, "schedstat"));
                    nanoseconds += long.Parse(text.AsSpan(0, text.IndexOf(' ')), NumberStyles.None, CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // The thread ended between the listing and the read: it no longer counts.
                }
            }

            return nanoseconds / 1e9;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }

    /// <summary>CPU seconds used so far by this process.</summary>
    public static double Self() => Seconds(Environment.ProcessId);

    /// <summary>
    /// CPU seconds (user + system) of every child process of this one that has exited and been waited for:
    /// <c>getrusage(RUSAGE_CHILDREN)</c>. The difference across one short-lived child (a C baseline) is its CPU time.
    /// </summary>
    public static double ReapedChildren()
    {
        // struct rusage starts with ru_utime and ru_stime, two struct timevals (seconds, microseconds), then 14 longs.
        Span<long> usage = stackalloc long[18];
        return GetResourceUsage(RusageChildren, ref MemoryMarshal.GetReference(usage)) != 0
            ? double.NaN
            : usage[0] + (usage[1] / 1e6) + usage[2] + (usage[3] / 1e6);
    }

    private const int RusageChildren = -1;

    [DllImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static extern int GetResourceUsage(int who, ref long usage);
}
