// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;

namespace PvRing.Tests.Samples;

/// <summary>
/// The packet programs as two real processes: every grant mode, small, largest and random packet sizes, each direction,
/// every feature on (and once all off); each packet's sequence, length and CRC32C checked by its receiver. And the back
/// serving without a count outlives a front killed mid-stream, cleans up after it and serves the next.
/// </summary>
public sealed class SamplePacketTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);
    private const string AllOff = "--split-indexes off --align-slot off --split-rings off --split-event-channels off --sg off";

    // Every mode sees every size; the direction turns with them, so each mode also meets every direction once with some size.
    public static TheoryData<string, string, string, string> Matrix => new()
    {
        // grant mode | packet size | direction | extra switches for both sides
        { "copy", "64", "tx", "" }, { "copy", "65535", "rx", "" }, { "copy", "1-65535", "both", "" },
        { "map", "64", "rx", "" }, { "map", "65535", "both", "" }, { "map", "1-65535", "tx", "" },
        { "persistent", "64", "both", "" }, { "persistent", "65535", "tx", "" }, { "persistent", "1-65535", "rx", "" },
        { "direct", "64", "tx", "" }, { "direct", "65535", "rx", "" }, { "direct", "1-65535", "both", "" },
        { "deferred", "64", "rx", "" }, { "deferred", "65535", "both", "" }, { "deferred", "1-65535", "tx", "" },
        { "persistent", "1-4096", "both", AllOff },

        // The page boundaries of the matrix: 1 byte, 1500, one full page, one byte past it (a two-slot chain).
        { "copy", "1", "both", "" }, { "copy", "1500", "tx", "" }, { "copy", "4096", "rx", "" }, { "copy", "4097", "both", "" },
        { "map", "1", "tx", "" }, { "map", "1500", "rx", "" }, { "map", "4096", "both", "" }, { "map", "4097", "tx", "" },
        { "persistent", "1", "rx", "" }, { "persistent", "1500", "both", "" }, { "persistent", "4096", "tx", "" }, { "persistent", "4097", "rx", "" },
        { "direct", "1", "both", "" }, { "direct", "1500", "tx", "" }, { "direct", "4096", "rx", "" }, { "direct", "4097", "both", "" },
        { "deferred", "1", "tx", "" }, { "deferred", "1500", "rx", "" }, { "deferred", "4096", "both", "" }, { "deferred", "4097", "tx", "" },
        { "copy", "4096", "both", AllOff }, { "direct", "1", "both", AllOff },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public void TxAndRx_GrantModeSizeDirection_EveryPacketVerified(string mode, string size, string direction, string switches)
    {
        const int Count = 300;
        using var host = new TempHost();
        string socket = host.FilePath("xenstored.sock");
        string[] common = ["--store", socket, "--host", host.Path, "--count", Count.ToString(), "--direction", direction, "--packet-size", size, .. Split(switches)];
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", [.. common, "--grant-mode", mode]);
        using ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", [.. common, "--grant-mode", mode, "--order", "2"]);

        int txCode = tx.WaitForExit(s_timeout);
        Assert.True(txCode == 0, $"Tx exit code {txCode}. Tx output:\n{tx.Output}\nRx output:\n{rx.Output}");
        rx.AssertExit(0, s_timeout);
        Assert.Contains($"grant-mode={mode} (", tx.Output);
        Assert.Contains($"grant-mode={mode} (", rx.Output);
        if (direction is "tx" or "both")
        {
            Assert.Contains($"Rx: tx: received {Count} packets", rx.Output);
        }

        if (direction is "rx" or "both")
        {
            Assert.Contains($"Tx: rx: received {Count} packets", tx.Output);
        }

        Assert.Contains("each verified (sequence, length, CRC32C)", tx.Output + rx.Output);
        if (int.Parse(size.Split('-')[0]) >= 16)
        {
            // Packets of fewer than 16 bytes have no room for the send timestamp, so they have no latency line.
            Assert.Contains("p99.9", tx.Output + rx.Output);
        }
        Assert.Empty(Directory.GetFileSystemEntries(host.Path));
    }

    [Fact]
    public void Rx_ServingFrontKilledMidStream_ReportsItRemovesItsFilesAndServesTheNextFront()
    {
        using var host = new TempHost();
        string socket = host.FilePath("xenstored.sock");
        string[] deadFiles = ["arena-1", "gnttab-1", "evtchn-1", "gntflush-1-0"];
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", "--store", socket, "--host", host.Path, "--direction", "both", "--timeout", "10");
        using (ChildProcess first = ChildProcess.StartDotnet("PvRing.Tx", "--store", socket, "--host", host.Path, "--direction", "both", "--grant-mode", "deferred", "--count", "1000000000"))
        {
            Assert.True(SpinWait.SpinUntil(() => rx.Output.Contains("Rx: negotiated") || rx.HasExited, s_timeout), rx.Output);
            first.Kill();
        }

        // The store notices the dead process within about a second; the back then reports it, disposes the connection
        // (removing the dead front's files) and offers the device again.
        Assert.True(SpinWait.SpinUntil(() => rx.Output.Contains("front end 1 released") || rx.HasExited, s_timeout), rx.Output);
        Assert.Contains("the front end is gone", rx.Output);
        Assert.False(rx.HasExited, rx.Output);
        foreach (string file in deadFiles)
        {
            Assert.False(File.Exists(host.FilePath(file)), $"{file} of the killed front is still there:\n{rx.Output}");
        }

        using (ChildProcess second = ChildProcess.StartDotnet("PvRing.Tx", "--store", socket, "--host", host.Path, "--direction", "both", "--count", "500"))
        {
            int code = second.WaitForExit(s_timeout);
            Assert.True(code == 0, $"second Tx exit code {code}. Output:\n{second.Output}\nRx output:\n{rx.Output}");
            Assert.True(second.Output.Contains("Tx: rx: received 500 packets", StringComparison.Ordinal), second.Output);
        }

        Assert.True(SpinWait.SpinUntil(() => rx.Output.Contains("front end 2 released") || rx.HasExited, s_timeout), rx.Output);
        Assert.Contains("Rx: tx: received 500 packets", rx.Output);
        foreach (string file in deadFiles)
        {
            Assert.False(File.Exists(host.FilePath(file)), $"{file} is still there with no front running:\n{rx.Output}");
        }

        Assert.False(rx.HasExited, rx.Output);
    }

    private static string[] Split(string switches) => switches.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
