// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;

namespace PvRing.Core.Tests.Events;

/// <summary>The test peer as a real second process, with bounded reads of its output and a kill on dispose.</summary>
internal sealed class PeerProcess : IDisposable
{
    private readonly Process _process;

    internal PeerProcess(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PvRing.TestPeer.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("Cannot start the test peer.");
    }

    internal int Id => _process.Id;

    /// <summary>Reads one line of the peer's output, failing the test if none comes in time.</summary>
    internal string ReadLine(TimeSpan timeout)
    {
        Task<string?> line = _process.StandardOutput.ReadLineAsync();
        if (!line.Wait(timeout) || line.Result is null)
        {
            Assert.Fail($"The peer printed no line within {timeout}: exited={_process.HasExited}, stderr={ReadErrorIfExited()}");
        }

        return line.Result!;
    }

    /// <summary>Waits for the peer to exit and returns its exit code, failing the test if it does not exit in time.</summary>
    internal int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Assert.Fail($"The peer did not exit within {timeout}.");
        }

        return _process.ExitCode;
    }

    internal string ReadErrorIfExited() => _process.HasExited ? _process.StandardError.ReadToEnd() : "(running)";

    /// <summary>The peer's user plus system CPU time in clock ticks, from /proc/&lt;pid&gt;/stat fields 14 and 15.</summary>
    internal long CpuTicks()
    {
        string stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    internal void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }
}
