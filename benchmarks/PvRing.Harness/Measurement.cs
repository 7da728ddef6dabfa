// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace PvRing.Harness;

/// <summary>Runs measured programs as child processes (pinned with taskset) and reads their result lines.</summary>
internal static partial class Measurement
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);

    /// <summary>Starts a program; when <paramref name="cpu"/> is given it is pinned there with taskset.</summary>
    public static Process Start(int? cpu, string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(cpu is null ? program : "taskset")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (cpu is int c)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(c.ToString(CultureInfo.InvariantCulture));
            info.ArgumentList.Add(program);
        }

        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start");
    }

    /// <summary>Waits (bounded) for a process, fails with its output unless it exits 0, returns stdout.</summary>
    public static string Finish(Process process, string what)
    {
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{what} did not finish within {s_timeout.TotalMinutes} minutes");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} exited {process.ExitCode}:\n{output.Result}\n{errors.Result}");
        }

        return output.Result;
    }

    /// <summary>
    /// After the measuring side failed: stops the peer, prints what it said (its exit code, standard output and error),
    /// and disposes it, so the caller's exception comes with the peer's side of the story.
    /// </summary>
    public static void Abandon(Process peer, string what)
    {
        if (!peer.HasExited)
        {
            peer.Kill(entireProcessTree: true);
        }

        peer.WaitForExit();
        Console.Error.WriteLine($"{what} exited {peer.ExitCode}: {peer.StandardOutput.ReadToEnd()}{peer.StandardError.ReadToEnd()}");
        peer.Dispose();
    }

    /// <summary>Reads <c>key=value</c> from the program's <c>result:</c> line.</summary>
    public static double ResultValue(string output, string key)
    {
        Match match = ResultLine().Matches(output).LastOrDefault()
            ?? throw new InvalidOperationException($"no 'result:' line in:\n{output}");
        foreach (string pair in match.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = pair.Split('=', 2);
            if (parts[0] == key)
            {
                return double.Parse(parts[1], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no {key} in result line '{match.Value}'");
    }

    public static double Median(IReadOnlyList<double> values)
    {
        double[] sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>"ratio NAME: median M, range A..B (per repetition)" of the per-repetition ratios <paramref name="a"/>[i] / <paramref name="b"/>[i].</summary>
    public static string RatioLine(string name, IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double[] ratios = [.. a.Zip(b, (x, y) => x / y)];
        return string.Create(CultureInfo.InvariantCulture,
            $"ratio {name}: median {Median(ratios):F4}, range {ratios.Min():F4}..{ratios.Max():F4} (per repetition)");
    }

    [GeneratedRegex(@"^result: (.*)$", RegexOptions.Multiline)]
    private static partial Regex ResultLine();
}
