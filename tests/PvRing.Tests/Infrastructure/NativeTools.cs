// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;

namespace PvRing.Tests.Infrastructure;

/// <summary>
/// Builds the C programs in tests/conformance with gcc against Debian's libxen-dev headers, once per test
/// run. Missing prerequisites fail the tests with the command that installs them (.ci/run does it).
/// </summary>
public static class NativeTools
{
    private static readonly Lazy<string> s_directory = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The conformance peer built on Xen's ring.h and netif.h.</summary>
    public static string RingPeer => Path.Combine(s_directory.Value, "xen_ring_peer");

    /// <summary>The program that prints Xen's struct sizes, offsets and ring sizes.</summary>
    public static string Layout => Path.Combine(s_directory.Value, "xen_layout");

    /// <summary>Finds tests/conformance by walking up from the test assembly to the repository root.</summary>
    public static string SourceDirectory
    {
        get
        {
            for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "tests", "conformance");
                if (File.Exists(Path.Combine(candidate, "xen_ring_peer.c")))
                {
                    return candidate;
                }
            }

            throw new InvalidOperationException($"tests/conformance not found above {AppContext.BaseDirectory}.");
        }
    }

    private static string Build()
    {
        if (!File.Exists("/usr/include/xen/io/ring.h"))
        {
            throw new InvalidOperationException(
                "Xen's headers are missing (/usr/include/xen/io/ring.h). Install them: apt-get install -y gcc libxen-dev");
        }

        string output = Path.Combine(Path.GetTempPath(), $"pvring-native-{Environment.ProcessId}");
        Directory.CreateDirectory(output);
        foreach (string program in new[] { "xen_ring_peer", "xen_layout" })
        {
            Compile(Path.Combine(SourceDirectory, program + ".c"), Path.Combine(output, program));
        }

        return output;
    }

    private static void Compile(string source, string binary)
    {
        var info = new ProcessStartInfo("gcc") { RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "-O2", "-Wall", "-Wextra", "-Werror", "-pthread", "-o", binary, source })
        {
            info.ArgumentList.Add(argument);
        }

        using Process gcc = Process.Start(info) ?? throw new InvalidOperationException("gcc did not start; apt-get install -y gcc");
        string errors = gcc.StandardError.ReadToEnd();
        if (!gcc.WaitForExit(120_000) || gcc.ExitCode != 0)
        {
            throw new InvalidOperationException($"gcc failed on {source}:\n{errors}");
        }
    }
}
