// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;

namespace PvRing.Tests.Samples;

/// <summary>
/// Every program of the repository answers <c>--help</c> with its usage on stdout and exit code 0: the samples, the
/// <c>pvring</c> tool, the contention harness, the test peer and the C conformance programs (the scripts: see
/// <see cref="SampleScriptTests"/>; the benchmarks are BenchmarkDotNet's own command line).
/// </summary>
public sealed class ProgramHelpTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("PvRing.Rx", "usage: PvRing.Rx")]
    [InlineData("PvRing.Tx", "usage: PvRing.Tx")]
    [InlineData("pvring", "Usage:")]
    [InlineData("PvRing.TestPeer", "usage: PvRing.TestPeer")]
    public void DotnetProgram_Help_UsageAndExitZero(string program, string usage)
    {
        using ChildProcess help = ChildProcess.StartDotnet(program, "--help");
        help.AssertExit(0, s_timeout);
        Assert.Contains(usage, help.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Harness_Help_UsageAndExitZero()
    {
        using ChildProcess help = ChildProcess.Start("dotnet", PvRing.Tests.Harness.MatrixSmokeTests.HarnessAssembly(), "--help");
        help.AssertExit(0, s_timeout);
        Assert.Contains("usage: PvRing.Harness", help.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("apipingpong", "--reps", "0", "--reps must be an integer in 1..100")]
    [InlineData("apipingpong", "--cases", "netif-bogus", "--cases is a comma-separated subset of")]
    public void Harness_BadOption_ClearMessageAndExitUsage(string command, string option, string value, string message)
    {
        using ChildProcess run = ChildProcess.Start("dotnet", PvRing.Tests.Harness.MatrixSmokeTests.HarnessAssembly(), command, option, value);
        run.AssertExit(64, s_timeout);
        Assert.Contains($"PvRing.Harness {command}: {message}", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void ConformancePrograms_Help_UsageAndExitZero()
    {
        foreach (string program in new[] { NativeTools.RingPeer, NativeTools.Layout })
        {
            using ChildProcess help = ChildProcess.Start(program, "--help");
            help.AssertExit(0, s_timeout);
            Assert.Contains("usage: ", help.Output, StringComparison.Ordinal);
        }
    }
}
