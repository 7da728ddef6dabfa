// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PvRing.Tests.Infrastructure;

/// <summary>
/// A real second process for cross-process tests: started with redirected output, always bounded by a
/// timeout, killed (with its whole tree) if it outlives the test. Its stdout can also be read line by line
/// (<see cref="ReadLine"/>), for peers that report their progress.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly BlockingCollection<string> _lines = [];

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Whether every thread of the process sleeps in the kernel (state S in <c>/proc/PID/task/TID/stat</c>): a thread
    /// preempted between announcing its sleep and sleeping would show as running (R).
    /// </summary>
    public bool AllThreadsBlocked()
    {
        try
        {
            foreach (string task in Directory.GetDirectories($"/proc/{Id}/task"))
            {
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                if (stat[stat.LastIndexOf(')') + 2] != 'S')
                {
                    return false;
                }
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // a thread (or the process) went away while we looked
        }
    }

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/>.</summary>
    public static ChildProcess Start(string fileName, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.AppendLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Starts a .NET program that sits next to the test assembly (a referenced project's output).</summary>
    public static ChildProcess StartDotnet(string assemblyName, params string[] arguments)
    {
        string dll = System.IO.Path.Combine(AppContext.BaseDirectory, assemblyName + ".dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference {assemblyName}.");
        return Start("dotnet", [dll, .. arguments]);
    }

    /// <summary>Starts the test peer in the given role.</summary>
    public static ChildProcess StartPeer(string verb, params string[] arguments) =>
        StartDotnet("PvRing.TestPeer", [verb, .. arguments]);

    /// <summary>Reads the next line the process wrote to stdout, failing the test if none comes in time.</summary>
    public string ReadLine(TimeSpan timeout)
    {
        if (!_lines.TryTake(out string? line, timeout))
        {
            Assert.Fail($"The process printed no line within {timeout}: exited={_process.HasExited}. Output:\n{Output}");
        }

        return line;
    }

    /// <summary>Takes the next line the process wrote to stdout, waiting at most <paramref name="timeout"/>; false if none came (or the output ended).</summary>
    public bool TryReadLine(TimeSpan timeout, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? line) => _lines.TryTake(out line, timeout);

    /// <summary>The process's user plus system CPU time in clock ticks, from /proc/&lt;pid&gt;/stat fields 14 and 15.</summary>
    public long CpuTicks()
    {
        string stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>Waits for exit, at most <paramref name="timeout"/>; a process still running is killed and the test fails.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            Assert.Fail($"Process {_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)} " +
                $"did not exit within {timeout.TotalSeconds} s. Output:\n{Output}");
        }

        _process.WaitForExit(); // drain the redirected output
        return _process.ExitCode;
    }

    /// <summary>Waits for exit (bounded) and asserts the exit code, showing the output when it differs.</summary>
    public void AssertExit(int expected, TimeSpan timeout)
    {
        int code = WaitForExit(timeout);
        Assert.True(code == expected, $"exit code {code}, expected {expected}. Output:\n{Output}");
    }

    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        // _lines stays undisposed: the output reader may still hand it the end of the stream after the kill.
        _process.Dispose();
    }

    private void AppendLine(string? line)
    {
        if (line is null)
        {
            _lines.CompleteAdding();
            return;
        }

        _lines.Add(line);
        Append(line);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
