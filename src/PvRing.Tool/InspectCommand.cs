// Licensed under the MIT License. See LICENSE in the repository root.

using System.CommandLine;
using PvRing.Memory;

namespace PvRing.Tool;

/// <summary><c>pvring inspect FILE</c>: a live ring, event page, grant table, arena or flush page in readable form (read-only).</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A ring file, evtchn-N, gnttab-N, arena-N or gntflush-F-B file (a path)." };
        var command = new Command("inspect", "Show a live shared structure in readable form: a ring's indexes and unanswered requests, an event page's owner, ports and pending events, a grant table's entries in use, a flush page's epochs. Reads a copy; changes nothing.")
        {
            file,
        };
        command.SetAction(result => Run(result.GetValue(file)!));
        return command;
    }

    private static int Run(string path)
    {
        try
        {
            IReadOnlyList<KeyValuePair<string, string>> fields = HostFileInspector.Inspect(path);
            int width = fields.Max(f => f.Key.Length);
            foreach ((string key, string value) in fields)
            {
                Console.WriteLine($"{key.PadRight(width)}  {value}");
            }

            return ExitCodes.Success;
        }
        catch (Exception e) when (e is PvRingException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"pvring inspect: {e.Message}");
            return ExitCodes.Failure;
        }
    }
}
