// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;

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
}
