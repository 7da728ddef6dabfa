// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Text;

namespace PvRing.Core.Tests.Infrastructure;

/// <summary>
/// A real second process for cross-process tests: started with redirected output, always bounded by a
/// timeout, killed (with its whole tree) if it outlives the test.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

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
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
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

        _process.Dispose();
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
