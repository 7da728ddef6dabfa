// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;

namespace PvRing.Tests.Samples;

/// <summary>
/// PvRing.Tx and PvRing.Rx in store mode, as two real processes: the back hosts the store, both negotiate the vif
/// with their feature switches, print the same agreement, and move every packet; a killed peer ends the survivor.
/// </summary>
public sealed class SampleStorePairTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(120);

    public static TheoryData<string, string, string> Switches => new()
    {
        // rx offers | tx wants | the agreement both must print
        { "", "--order 2", "ring-page-order=2 feature-split-indexes=1 feature-align-slot=1 feature-split-rings=1 feature-split-event-channels=1 feature-sg=1 multi-queue-num-queues=1 feature-numa-affinity=0 feature-inline-data=1 grant-mode=persistent" },
        { "", "--split-indexes off --align-slot off --split-rings off --split-event-channels off",
            "ring-page-order=0 feature-split-indexes=0 feature-align-slot=0 feature-split-rings=0 feature-split-event-channels=0 feature-sg=1 multi-queue-num-queues=1 feature-numa-affinity=0 feature-inline-data=0 grant-mode=persistent" },
        { "--split-rings off --max-order 1", "--order 4", "ring-page-order=1 feature-split-indexes=1 feature-align-slot=1 feature-split-rings=0 feature-split-event-channels=1 feature-sg=1 multi-queue-num-queues=1 feature-numa-affinity=0 feature-inline-data=0 grant-mode=persistent" },
        { "--split-indexes off --split-event-channels off", "--order 3 --align-slot off",
            "ring-page-order=3 feature-split-indexes=0 feature-align-slot=0 feature-split-rings=1 feature-split-event-channels=0 feature-sg=1 multi-queue-num-queues=1 feature-numa-affinity=0 feature-inline-data=1 grant-mode=persistent" },
    };

    [Theory]
    [MemberData(nameof(Switches))]
    public void TxAndRx_ThroughTheStore_PrintTheIntersectionAndMoveEveryPacket(string rxSwitches, string txSwitches, string agreement)
    {
        using var host = new TempHost();
        string socket = host.FilePath("xenstored.sock");
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", ["--store", socket, "--host", host.Path, "--count", "2000", .. Split(rxSwitches)]);
        using ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", ["--store", socket, "--host", host.Path, "--count", "2000", .. Split(txSwitches)]);

        int txCode = tx.WaitForExit(s_timeout);
        Assert.True(txCode == 0, $"Tx exit code {txCode}. Tx output:\n{tx.Output}\nRx output:\n{rx.Output}");
        rx.AssertExit(0, s_timeout);
        Assert.Contains("Tx: negotiated " + agreement + " (", tx.Output);
        Assert.Contains("Rx: negotiated " + agreement + " (", rx.Output);
        Assert.Contains("Tx: done: 2,000 packets per direction", tx.Output);
        Assert.Contains("Rx: tx: received 2,000 packets", rx.Output);
        Assert.Contains("Tx: rx: received 2,000 packets", tx.Output);

        // The store's socket, the grant table, the arena and both event pages are gone.
        Assert.Empty(Directory.GetFileSystemEntries(host.Path));
    }

    [Fact]
    public void Rx_FrontKilledMidStream_ExitsWithErrorInsteadOfHanging()
    {
        using var host = new TempHost();
        string socket = host.FilePath("xenstored.sock");
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", "--store", socket, "--host", host.Path, "--count", "1000000000", "--timeout", "10");
        using ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", "--store", socket, "--host", host.Path, "--count", "1000000000");
        Assert.True(SpinWait.SpinUntil(() => rx.Output.Contains("Rx: negotiated") || rx.HasExited, s_timeout), rx.Output);

        tx.Kill();

        int code = rx.WaitForExit(s_timeout);
        Assert.True(code is 2, $"exit code {code}; output:\n{rx.Output}");
        Assert.Contains("the front end is gone", rx.Output);
    }

    [Fact]
    public void Tx_BackKilledMidStream_ExitsWithErrorInsteadOfHanging()
    {
        using var host = new TempHost();
        string socket = host.FilePath("xenstored.sock");
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", "--store", socket, "--host", host.Path);
        using ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", "--store", socket, "--host", host.Path, "--count", "1000000000", "--timeout", "10");
        Assert.True(SpinWait.SpinUntil(() => tx.Output.Contains("Tx: negotiated") || tx.HasExited, s_timeout), tx.Output);

        rx.Kill();

        int code = tx.WaitForExit(s_timeout);
        Assert.True(code is 1 or 2, $"exit code {code}; output:\n{tx.Output}");
        Assert.DoesNotContain("Tx: done", tx.Output);
    }

    [Theory]
    [InlineData("PvRing.Tx", "--create ring --split-rings off")]
    [InlineData("PvRing.Tx", "--create ring --store sock")]
    [InlineData("PvRing.Tx", "--store sock --order 5")]
    [InlineData("PvRing.Tx", "--store sock --align-slot maybe")]
    [InlineData("PvRing.Rx", "--attach ring --max-order 2")]
    [InlineData("PvRing.Rx", "--store sock --store-owner nobody")]
    [InlineData("PvRing.Tx", "--store sock --grant-mode fast")]
    [InlineData("PvRing.Tx", "--store sock --grant-mode copy,map")]
    [InlineData("PvRing.Rx", "--store sock --grant-mode copy,fast")]
    [InlineData("PvRing.Tx", "--store sock --packet-size 0")]
    [InlineData("PvRing.Tx", "--store sock --packet-size 65536")]
    [InlineData("PvRing.Tx", "--store sock --packet-size 1500-64")]
    [InlineData("PvRing.Rx", "--store sock --packet-size 4097 --sg off")]
    [InlineData("PvRing.Tx", "--store sock --direction sideways")]
    [InlineData("PvRing.Tx", "--create ring --packet-size 64")]
    public void Samples_BadStoreModeArguments_UsageExitCode(string sample, string arguments)
    {
        using ChildProcess process = ChildProcess.StartDotnet(sample, Split(arguments));
        process.AssertExit(64, s_timeout);
        Assert.Contains("error:", process.Output);
    }

    private static string[] Split(string switches) => switches.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
