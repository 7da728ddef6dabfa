// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Text;

namespace PvRing.Platform;

/// <summary>
/// <see cref="IProcessLiveness"/> from <c>/proc/&lt;pid&gt;/stat</c>: a process is alive when its stat file
/// exists, its state is not zombie (<c>Z</c>) or dead (<c>X</c>), and its start time matches.
/// </summary>
/// <remarks>
/// Design: <c>kill(pid, 0)</c> alone is not enough: it succeeds for a zombie that its parent has not reaped
/// yet and for an unrelated process that inherited a recycled pid. The stat file answers both. It is read
/// with <c>open</c>/<c>read</c> into a stack buffer, so a waiter that polls liveness allocates nothing.
/// </remarks>
internal sealed unsafe class LinuxProcessLiveness : IProcessLiveness
{
    private const int StatBufferSize = 1024;

    internal LinuxProcessLiveness()
    {
        int pid = Environment.ProcessId;
        Current = TryReadStat(pid, out char state, out ulong start) && state is not ('Z' or 'X')
            ? new ProcessIdentity(pid, start)
            : throw new PvRingException($"Cannot read /proc/{pid}/stat for the current process.");
    }

    public ProcessIdentity Current { get; }

    public bool IsAlive(ProcessIdentity process)
    {
        if (process.ProcessId <= 0)
        {
            return false;
        }

        return TryReadStat(process.ProcessId, out char state, out ulong start)
            && state is not ('Z' or 'X')
            && start == process.StartTime;
    }

    /// <summary>
    /// Reads the state (field 3) and start time (field 22) from <c>/proc/&lt;pid&gt;/stat</c>. The command name
    /// (field 2) is in parentheses and may itself contain spaces and parentheses, so parsing starts after the last ')'.
    /// </summary>
    internal static bool TryReadStat(int pid, out char state, out ulong startTime)
    {
        state = '\0';
        startTime = 0;
        byte* path = stackalloc byte[32];
        var pathSpan = new Span<byte>(path, 32);
        "/proc/"u8.CopyTo(pathSpan);
        if (!Utf8Formatter.TryFormat(pid, pathSpan[6..], out int digits))
        {
            return false;
        }

        "/stat\0"u8.CopyTo(pathSpan[(6 + digits)..]);
        int fd = LinuxInterop.Open(path, LinuxInterop.OpenReadOnlyCloseOnExec);
        if (fd < 0)
        {
            return false;
        }

        byte* buffer = stackalloc byte[StatBufferSize];
        int length = 0;
        try
        {
            while (length < StatBufferSize)
            {
                nint read = LinuxInterop.Read(fd, buffer + length, (nuint)(StatBufferSize - length));
                if (read <= 0)
                {
                    break;
                }

                length += (int)read;
            }
        }
        finally
        {
            LinuxInterop.Close(fd);
        }

        return TryParseStat(new ReadOnlySpan<byte>(buffer, length), out state, out startTime);
    }

    /// <summary>Parses the text of a <c>/proc/&lt;pid&gt;/stat</c> file (exposed for tests).</summary>
    internal static bool TryParseStat(ReadOnlySpan<byte> stat, out char state, out ulong startTime)
    {
        state = '\0';
        startTime = 0;
        int close = stat.LastIndexOf((byte)')');
        if (close < 0 || close + 2 >= stat.Length)
        {
            return false;
        }

        // After ") " come fields 3, 4, ...: the state is field 3, the start time field 22.
        ReadOnlySpan<byte> rest = stat[(close + 2)..];
        state = (char)rest[0];
        for (int field = 3; field < 22; field++)
        {
            int space = rest.IndexOf((byte)' ');
            if (space < 0)
            {
                return false;
            }

            rest = rest[(space + 1)..];
        }

        return Utf8Parser.TryParse(rest, out startTime, out _);
    }
}
