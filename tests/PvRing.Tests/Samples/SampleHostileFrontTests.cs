// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;

namespace PvRing.Tests.Samples;

/// <summary>
/// The real back end (PvRing.Rx in store mode) against a hostile front end in another process that posts a malformed
/// transmit chain: the back refuses it with the library's protocol error, delivers nothing, writes an <c>error</c> node
/// that the front reads, and exits 1; nothing hangs.
/// </summary>
public sealed class SampleHostileFrontTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("too-many-slots", "more than 18 slots")]
    [InlineData("sizes", "is not the chain's total")]
    [InlineData("ungranted", "does not validate")]
    [InlineData("overrun", "crosses the page")]
    [InlineData("extra-info", "unknown or unnegotiated flags")]
    public void Rx_HostileFrontPostsMalformedChain_RefusesWithErrorNodeAndExits1(string hostile, string reason)
    {
        using var host = new TempHost();
        string socket = host.FilePath("xenstored.sock");
        using ChildProcess rx = ChildProcess.StartDotnet(
            "PvRing.Rx", "--store", socket, "--host", host.Path, "--count", "10", "--direction", "tx", "--grant-mode", "copy", "--timeout", "30");
        using ChildProcess front = ChildProcess.StartPeer("hostile-net-front", socket, host.Path, hostile);

        int frontCode = front.WaitForExit(s_timeout);
        rx.AssertExit(1, s_timeout);
        Assert.True(frontCode == 0, $"hostile front exit code {frontCode}:\n{front.Output}\nRx:\n{rx.Output}");
        Assert.Contains("protocol failure, front end refused", rx.Output);
        Assert.Contains(reason, rx.Output);
        Assert.Contains("back end error: 22 ", front.Output);
        Assert.Contains(reason, front.Output);
        Assert.DoesNotContain("Rx: tx: received 1", rx.Output);
    }
}
