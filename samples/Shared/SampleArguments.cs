// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Memory;

namespace PvRing.Samples;

/// <summary>
/// The small command line both samples share: <c>--name value</c> options, each at most once.
/// Bad input ends the program with a usage message and exit code 64 (EX_USAGE).
/// </summary>
internal sealed class SampleArguments
{
    public const int UsageExitCode = 64;

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    private SampleArguments()
    {
    }

    public static SampleArguments Parse(string[] args, string usage, params string[] known)
    {
        var parsed = new SampleArguments();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help")
            {
                Console.WriteLine(usage);
                Environment.Exit(0);
            }

            if (!known.Contains(name))
            {
                Fail(usage, $"unknown option '{name}'");
            }

            if (i + 1 >= args.Length)
            {
                Fail(usage, $"option '{name}' needs a value");
            }

            if (!parsed._values.TryAdd(name, args[++i]))
            {
                Fail(usage, $"option '{name}' given twice");
            }
        }

        return parsed;
    }

    public string? GetString(string name) => _values.GetValueOrDefault(name);

    public long GetInt64(string name, long defaultValue, long min, long max, string usage)
    {
        if (!_values.TryGetValue(name, out string? text))
        {
            return defaultValue;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
        {
            Fail(usage, $"option '{name}' must be an integer in {min}..{max}, not '{text}'");
        }

        return value;
    }

    /// <summary>Parses an <c>on</c>/<c>off</c> switch (default on).</summary>
    public bool GetSwitch(string name, string usage)
    {
        switch (GetString(name))
        {
            case null or "on":
                return true;
            case "off":
                return false;
            case string other:
                Fail(usage, $"option '{name}' must be on or off, not '{other}'");
                return false;
        }
    }

    /// <summary>Parses <c>--wait spin|yield|block</c> (default block).</summary>
    public WaitMode GetWaitMode(string usage)
    {
        switch (GetString("--wait"))
        {
            case null or "block":
                return WaitMode.Block;
            case "spin":
                return WaitMode.Spin;
            case "yield":
                return WaitMode.Yield;
            case string other:
                Fail(usage, $"option '--wait' must be spin, yield or block, not '{other}'");
                return WaitMode.Block;
        }
    }

    /// <summary>
    /// Splits a ring-file argument into its host directory and name: a bare name lives in the default host
    /// directory (<see cref="HostDirectory.DefaultPath"/>, or <c>--host</c>); a path names both.
    /// </summary>
    public (HostDirectory Host, string Name) ResolveRingFile(string file, string usage)
    {
        try
        {
            string? directory = Path.GetDirectoryName(file);
            string name = Path.GetFileName(file);
            string hostPath = string.IsNullOrEmpty(directory) ? GetString("--host") ?? HostDirectory.DefaultPath : directory;
            var host = new HostDirectory(hostPath);
            HostDirectory.ValidateName(name);
            return (host, name);
        }
        catch (Exception e) when (e is ArgumentException or PvRingException or IOException or UnauthorizedAccessException)
        {
            Fail(usage, e.Message);
            throw;
        }
    }

    /// <summary>The host directory of <c>--host</c>, or the default one (<see cref="HostDirectory.DefaultPath"/>), created 0700.</summary>
    public HostDirectory ResolveHost(string usage)
    {
        try
        {
            return new HostDirectory(GetString("--host") ?? HostDirectory.DefaultPath);
        }
        catch (Exception e) when (e is ArgumentException or PvRingException or IOException or UnauthorizedAccessException)
        {
            Fail(usage, e.Message);
            throw;
        }
    }

    public static void Fail(string usage, string message)
    {
        Console.Error.WriteLine($"error: {message}");
        Console.Error.WriteLine(usage);
        Environment.Exit(UsageExitCode);
    }
}
