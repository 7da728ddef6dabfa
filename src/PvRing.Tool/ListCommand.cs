// Licensed under the MIT License. See LICENSE in the repository root.

using System.CommandLine;
using System.Globalization;
using PvRing.Memory;

namespace PvRing.Tool;

/// <summary>
/// <c>pvring ls [--host DIR]</c>: the host directory's files (and each listener name's), with kind, owner, mode, size and
/// whether their process lives: the way to find stale files and remove them.
/// </summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var host = new Option<string?>("--host") { Description = "The host directory (default $PVRING_HOST or /dev/shm/pvring-<uid>)." };
        var command = new Command("ls", "List a host directory's files: kind, domain, owner uid, mode, size, owning process and whether it lives (stale files are those whose process is gone).")
        {
            host,
        };
        command.SetAction(result => Run(result.GetValue(host) ?? HostDirectory.DefaultPath));
        return command;
    }

    private static int Run(string path)
    {
        if (!Directory.Exists(path))
        {
            Console.Error.WriteLine($"pvring ls: no host directory at {path}.");
            return ExitCodes.Failure;
        }

        IReadOnlyList<HostFileEntry> entries = HostFileInspector.List(path);
        Console.WriteLine($"{path}: {entries.Count} entries");
        Console.WriteLine($"{"kind",-12} {"domain",6} {"uid",6} {"mode",-10} {"size",10} {"process",-18} name");
        int stale = 0;
        foreach (HostFileEntry entry in entries)
        {
            string process = entry.ProcessId is int pid
                ? $"{pid.ToString(CultureInfo.InvariantCulture)} {(entry.ProcessAlive switch { true => "alive", false => "GONE", null => "?" })}"
                : "-";
            stale += entry.ProcessAlive == false ? 1 : 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{entry.Kind,-12} {(entry.DomainId is int d ? d.ToString(CultureInfo.InvariantCulture) : "-"),6} {entry.OwnerUserId,6} {Mode(entry.Mode),-10} {entry.Length,10} {process,-18} {Path.GetRelativePath(path, entry.Path)}"));
        }

        if (stale > 0)
        {
            Console.WriteLine($"{stale} file(s) belong to processes that are gone: stale, safe to remove.");
        }

        return ExitCodes.Success;
    }

    private static string Mode(UnixFileMode mode)
    {
        Span<char> text = stackalloc char[9];
        ReadOnlySpan<char> letters = "rwxrwxrwx";
        for (int i = 0; i < 9; i++)
        {
            text[i] = ((int)mode & (1 << (8 - i))) != 0 ? letters[i] : '-';
        }

        return "0" + Convert.ToString((int)mode & 0x1FF, 8) + " " + new string(text);
    }
}
