// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;

namespace PvRing.Tests.Samples;

/// <summary>The demo scripts answer <c>--help</c> with their usage and refuse an unknown option (without building anything).</summary>
public sealed class SampleScriptTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("run-demo.sh")]
    [InlineData("run-store-demo.sh")]
    [InlineData("run-api-demo.sh")]
    public void Script_HelpPrintsUsage_UnknownOptionExits64(string script)
    {
        string path = Path.Combine(Directory.GetParent(NativeTools.SourceDirectory)!.Parent!.FullName, "samples", script);
        using (ChildProcess help = ChildProcess.Start("bash", path, "--help"))
        {
            help.AssertExit(0, s_timeout);
            Assert.Contains($"Usage: samples/{script}", help.Output);
            Assert.DoesNotContain("unbound variable", help.Output);
        }

        using ChildProcess bogus = ChildProcess.Start("bash", path, "--bogus");
        bogus.AssertExit(64, s_timeout);
        Assert.Contains("unknown option '--bogus'", bogus.Output);
    }
}
