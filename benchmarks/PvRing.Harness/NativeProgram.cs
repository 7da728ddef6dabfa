// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;

namespace PvRing.Harness;

/// <summary>
/// A C program of the source tree built with <c>gcc -O2 -pthread</c> into a temporary folder the first time it is
/// needed, once per harness run: the C peer on Xen's ring.h and the matrix's baselines (both need gcc and libxen-dev).
/// </summary>
internal sealed class NativeProgram
{
    private readonly Lazy<string> _binary;

    /// <param name="source">The C file, relative to the repository root.</param>
    public NativeProgram(string source)
    {
        _binary = new Lazy<string>(() => Build(source));
    }

    /// <summary>The built executable (built on first use).</summary>
    public string Path => _binary.Value;

    /// <summary>Runs the program pinned nowhere (it pins its own threads) and returns one value of its <c>result:</c> line.</summary>
    public double Result(string key, params string[] arguments)
    {
        string output = Measurement.Finish(Measurement.Start(null, Path, arguments), System.IO.Path.GetFileName(Path) + " " + string.Join(' ', arguments));
        return Measurement.ResultValue(output, key);
    }

    private static string Build(string source)
    {
        string file = System.IO.Path.Combine(Repository.Root, source);
        string binary = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"pvring-harness-{Environment.ProcessId}", System.IO.Path.GetFileNameWithoutExtension(file));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(binary)!);
        using Process gcc = Process.Start("gcc", ["-O2", "-pthread", "-o", binary, file])
            ?? throw new InvalidOperationException("gcc did not start (apt-get install -y gcc libxen-dev)");
        if (!gcc.WaitForExit(TimeSpan.FromMinutes(2)) || gcc.ExitCode != 0)
        {
            throw new InvalidOperationException($"gcc could not build {file} (apt-get install -y gcc libxen-dev)");
        }

        return binary;
    }
}
