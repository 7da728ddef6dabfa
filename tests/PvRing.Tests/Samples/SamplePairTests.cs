// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;

namespace PvRing.Tests.Samples;

/// <summary>
/// PvRing.Tx and PvRing.Rx as two real processes, as the README runs them: the back binds the front's event
/// channel from the ring file's sidecar, every response comes back in order, and a killed peer ends the
/// survivor with an error instead of a hang.
/// </summary>
public sealed class SamplePairTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData(0, "block")]
    [InlineData(2, "block")]
    [InlineData(0, "yield")]
    [InlineData(0, "spin")]
    public void TxAndRx_EventChannelWaits_EveryResponseInOrderAndFilesRemoved(int order, string wait)
    {
        using var host = new TempHost();
        string ring = host.FilePath("ring");
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", "--attach", ring, "--count", "300000", "--wait", wait);
        using ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", "--create", ring, "--order", order.ToString(), "--count", "300000", "--wait", wait);

        tx.AssertExit(0, s_timeout);
        rx.AssertExit(0, s_timeout);
        Assert.Contains("bound the front's event channel", rx.Output);
        Assert.Contains("answered once, in order, OKAY", tx.Output);
        Assert.Empty(Directory.GetFileSystemEntries(host.Path));
    }

    [Fact]
    public void Tx_BackKilledMidStream_ExitsWithErrorInsteadOfHanging()
    {
        using var host = new TempHost();
        string ring = host.FilePath("ring");
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", "--attach", ring);
        using ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", "--create", ring, "--count", "1000000000", "--timeout", "10");
        Assert.True(SpinWait.SpinUntil(() => rx.Output.Contains("bound the front's event channel") || rx.HasExited, s_timeout), rx.Output);

        rx.Kill();

        int code = tx.WaitForExit(s_timeout);
        Assert.True(code is 1 or 2, $"exit code {code}; output:\n{tx.Output}");
        Assert.DoesNotContain("answered once", tx.Output);
    }

    [Fact]
    public void Rx_ServingWithoutCount_FrontKilled_Exits2NotZero()
    {
        using var host = new TempHost();
        string ring = host.FilePath("ring");
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", "--attach", ring);
        using ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", "--create", ring, "--count", "1000000000");
        Assert.True(SpinWait.SpinUntil(() => rx.Output.Contains("bound the front's event channel") || rx.HasExited, s_timeout), rx.Output);

        tx.Kill();

        // A front that removes its ring ends the service normally (0); one whose process died does not.
        rx.AssertExit(2, s_timeout);
        Assert.Contains("(FrontDied)", rx.Output);
    }

    [Fact]
    public void Rx_FrontKilledMidStream_ExitsWithErrorInsteadOfHanging()
    {
        using var host = new TempHost();
        string ring = host.FilePath("ring");
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", "--attach", ring, "--count", "1000000000", "--timeout", "10");
        using ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", "--create", ring, "--count", "1000000000");
        Assert.True(SpinWait.SpinUntil(() => rx.Output.Contains("bound the front's event channel") || rx.HasExited, s_timeout), rx.Output);

        tx.Kill();

        int code = rx.WaitForExit(s_timeout);
        Assert.True(code is 1 or 2, $"exit code {code}; output:\n{rx.Output}");
    }
}
