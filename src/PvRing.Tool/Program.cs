// Licensed under the MIT License. See LICENSE in the repository root.

using System.CommandLine;
using PvRing.Tool;

// pvring <verb> [options]: store, ls, inspect, topology, bench; --help and --version on every level. Exit codes (sysexits.h):
// 0 success, 1 failure, 64 usage error, 69 service unavailable.
var root = new RootCommand("pvring: run PvRing's xenstore-compatible store, and look at hosts, files and the machine.")
{
    StoreCommand.Create(),
    ListCommand.Create(),
    InspectCommand.Create(),
    TopologyCommand.Create(),
    BenchCommand.Create(),
};

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (System.CommandLine.Parsing.ParseError error in parsed.Errors)
    {
        Console.Error.WriteLine($"pvring: {error.Message}");
    }

    // The failing command's usage, on stderr: everything on stdout stays the command's own output.
    Command failing = parsed.CommandResult.Command;
    var help = new List<string>();
    for (System.CommandLine.Parsing.SymbolResult? at = parsed.CommandResult; at is System.CommandLine.Parsing.CommandResult command && command.Command != root; at = at.Parent)
    {
        help.Insert(0, command.Command.Name);
    }

    help.Add("--help");
    root.Parse(help.ToArray()).Invoke(new InvocationConfiguration { Output = Console.Error });
    return ExitCodes.Usage;
}

return parsed.Invoke();
