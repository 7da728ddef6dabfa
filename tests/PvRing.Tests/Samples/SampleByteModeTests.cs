// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;

namespace PvRing.Tests.Samples;

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
    public void TxAndRx_ByNameWithQueues_EveryQueueReportsItsCpuAndPackets()
    {
        using var host = new TempHost();
        string[] common = ["--name", "queues", "--host", host.Path, "--count", "1000", "--packet-size", "64-9000"];
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", [.. common, "--queues", "4"]);
        using ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", [.. common, "--queues", "3"]);

        int txCode = tx.WaitForExit(s_timeout);
        Assert.True(txCode == 0, $"Tx exit code {txCode}. Tx output:\n{tx.Output}\nRx output:\n{rx.Output}");
        rx.AssertExit(0, s_timeout);
        Assert.Contains("multi-queue-num-queues=3", tx.Output);
        Assert.Contains("Rx: placement: 3 queues on cpus ", rx.Output);
        for (int q = 0; q < 3; q++)
        {
            Assert.Contains($"Rx: queue {q}: cpu ", rx.Output);
            Assert.Contains($"Rx: tx-q{q}: received 1,000 packets", rx.Output);
            Assert.Contains($"Tx: rx-q{q}: received 1,000 packets", tx.Output);
        }

        Assert.Contains("done: 1,000 packets per direction on each of 3 queues", tx.Output);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(host.Path, "queues")));
    }

    [Theory]
    [InlineData("PvRing.Tx", "--store", "sock")]
    [InlineData("PvRing.Rx", "--attach", "ring")]
    public void Queues_WithoutName_RefusedWithUsage(string program, string mode, string value)
    {
        using ChildProcess process = ChildProcess.StartDotnet(program, mode, value, "--queues", "2");
        process.AssertExit(64, s_timeout);
        Assert.Contains("--queues is for --name", process.Output);
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
