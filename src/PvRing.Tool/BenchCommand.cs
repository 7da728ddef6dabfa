// Licensed under the MIT License. See LICENSE in the repository root.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;

namespace PvRing.Tool;

/// <summary>
/// <c>pvring bench [--harness PATH] [MATRIX OPTIONS]</c>: runs the contention harness's matrix (default
/// <c>matrix --quick --out pvring-bench-TIME</c>), pinned with taskset to the first CPU as the harness expects. The
/// harness is not part of the tool's package: it is found by <c>--harness</c>, <c>$PVRING_HARNESS</c>, or in the
/// PvRing clone the current directory is in (built Release), or a self-contained build of it.
/// </summary>
internal static class BenchCommand
{
    public const string HarnessVariable = "PVRING_HARNESS";

    public static Command Create()
    {
        var harness = new Option<string?>("--harness") { Description = $"The harness: PvRing.Harness.dll, a self-contained PvRing.Harness executable, or a folder with one (default ${HarnessVariable}, else the clone around the current directory)." };
        var command = new Command("bench", "Run the contention matrix (the harness's `matrix --quick --out DIR` unless other matrix options follow, for example --smoke, --repeat 3, --out DIR; see docs/benchmarks.md).")
        {
            harness,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(result => Run(result.GetValue(harness), result.UnmatchedTokens));
        return command;
    }

    private static int Run(string? harness, IReadOnlyList<string> matrixOptions)
    {
        (string program, string[] prefix)? found = Find(harness ?? Environment.GetEnvironmentVariable(HarnessVariable));
        if (found is not (string program, string[] prefix))
        {
            Console.Error.WriteLine(
                "pvring bench: no harness found. Give --harness PATH (PvRing.Harness.dll or a self-contained PvRing.Harness), set " +
                $"${HarnessVariable}, or run from a PvRing clone after `dotnet build benchmarks/PvRing.Harness -c Release`.");
            return ExitCodes.Unavailable;
        }

        List<string> arguments = [.. prefix, "matrix", .. matrixOptions];
        if (!matrixOptions.Contains("--quick") && !matrixOptions.Contains("--smoke"))
        {
            arguments.Insert(prefix.Length + 1, "--quick");
        }

        if (!matrixOptions.Contains("--out"))
        {
            arguments.AddRange(["--out", Path.GetFullPath($"pvring-bench-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}")]);
        }

        // The harness runs its own side pinned to CPU 0 (its peers it places itself), as docs/benchmarks.md runs it.
        var info = new ProcessStartInfo(File.Exists("/usr/bin/taskset") ? "/usr/bin/taskset" : program) { UseShellExecute = false };
        if (info.FileName == "/usr/bin/taskset")
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("0");
            info.ArgumentList.Add(program);
        }

        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Console.Error.WriteLine($"pvring bench: {info.FileName} {string.Join(' ', info.ArgumentList)}");
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start");
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>The program to start and the arguments before the harness's own: <c>dotnet PvRing.Harness.dll</c> or a self-contained executable.</summary>
    private static (string Program, string[] Prefix)? Find(string? given)
    {
        if (given is not null)
        {
            return FromPath(Path.GetFullPath(given));
        }

        for (string? at = Directory.GetCurrentDirectory(); at is not null; at = Path.GetDirectoryName(at))
        {
            if (File.Exists(Path.Combine(at, "PvRing.sln")))
            {
                return FromPath(Path.Combine(at, "benchmarks", "PvRing.Harness", "bin", "Release", "net10.0"));
            }
        }

        return null;
    }

    private static (string Program, string[] Prefix)? FromPath(string path)
    {
        if (Directory.Exists(path))
        {
            string executable = Path.Combine(path, "PvRing.Harness");
            string dll = Path.Combine(path, "PvRing.Harness.dll");
            return File.Exists(executable) && !File.Exists(dll) ? (executable, []) : File.Exists(dll) ? ("dotnet", [dll]) : null;
        }

        if (!File.Exists(path))
        {
            return null;
        }

        return path.EndsWith(".dll", StringComparison.Ordinal) ? ("dotnet", [path]) : (path, []);
    }
}
