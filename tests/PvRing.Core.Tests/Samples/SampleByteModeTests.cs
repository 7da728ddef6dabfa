// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Core.Tests.Infrastructure;

namespace PvRing.Core.Tests.Samples;

/// <summary>
/// The samples' byte mode (<c>--name</c>: the application API only) as two real processes: each grant mode with a size and
/// direction, every packet checked by its receiver; and a listener serving without a count outlives its fronts.
/// </summary>
public sealed class SampleByteModeTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("persistent", "1-65535", "both")]
    [InlineData("copy", "64", "tx")]
    [InlineData("map", "4097", "rx")]
    [InlineData("direct", "1500", "both")]
    [InlineData("deferred", "4096", "both")]
    public void TxAndRx_ByName_EveryPacketVerified(string mode, string size, string direction)
    {
        const int Count = 2000;
        using var host = new TempHost();
        string[] common = ["--name", "bytes", "--host", host.Path, "--count", Count.ToString(), "--direction", direction, "--packet-size", size];
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", common);
        using ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", [.. common, "--grant-mode", mode]);

        int txCode = tx.WaitForExit(s_timeout);
        Assert.True(txCode == 0, $"Tx exit code {txCode}. Tx output:\n{tx.Output}\nRx output:\n{rx.Output}");
        rx.AssertExit(0, s_timeout);
        Assert.Contains($"grant-mode={mode} (", tx.Output);
        if (direction is "tx" or "both")
        {
            Assert.Contains($"Rx: tx: received {Count:N0} packets", rx.Output);
        }

        if (direction is "rx" or "both")
        {
            Assert.Contains($"Tx: rx: received {Count:N0} packets", tx.Output);
        }

        Assert.Contains("done: 2,000 packets per direction", tx.Output);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(host.Path, "bytes")));
    }

    [Fact]
    public void Rx_ByNameWithoutCount_ServesOneFrontAfterAnother()
    {
        using var host = new TempHost();
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", "--name", "serve", "--host", host.Path);
        for (int front = 0; front < 2; front++)
        {
            using ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", "--name", "serve", "--host", host.Path, "--count", "500", "--direction", "tx");
            int code = tx.WaitForExit(s_timeout);
            Assert.True(code == 0, $"front {front}: Tx exit code {code}. Tx output:\n{tx.Output}\nRx output:\n{rx.Output}");
        }

        Assert.True(SpinWait.SpinUntil(() => rx.Output.Contains("front end 2 done"), s_timeout), rx.Output);
        Assert.False(rx.HasExited, rx.Output);
        Assert.DoesNotContain("error", rx.Output, StringComparison.OrdinalIgnoreCase);
        rx.Kill();
    }
}
