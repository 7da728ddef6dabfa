// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Tests.Store;

namespace PvRing.Tests.Samples;

/// <summary>Bad input at the samples' ring name gives a clear message and an exit code, never an unhandled exception.</summary>
public sealed class SampleBadInputTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Rx_SidecarPortOutOfRange_SaysSoAndPolls()
    {
        using var host = new TempHost();
        using FrontRing<NetifTxRequest, NetifTxResponse> ring = RingFile.Create<NetifTxRequest, NetifTxResponse>(host.Host, "ring", RingVariant.Classic(0));
        File.WriteAllText(host.FilePath("ring.evtchn"), "version=1\nfrontend-id=1\nevent-channel=5000\n");
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", "--attach", "ring", "--host", host.Path, "--count", "1", "--timeout", "2");

        // No request comes: after the timeout Rx exits 2, having said why it polls.
        rx.AssertExit(2, s_timeout);
        Assert.Contains("cannot bind the front's event channel", rx.Output);
        Assert.DoesNotContain("Unhandled exception", rx.Output);
    }

    [Theory]
    [InlineData("version=2\nfrontend-id=1\nevent-channel=5\n", "version=2, expected=1")]
    [InlineData("frontend-id=1\nevent-channel=5\n", "version=none, expected=1")]
    [InlineData("fifo", "is not a sidecar")]
    [InlineData("dangling", "is not a sidecar")]
    public void Rx_SidecarOfAnotherVersionOrNotAFile_ClearErrorExit1(string content, string expected)
    {
        using var host = new TempHost();
        using FrontRing<NetifTxRequest, NetifTxResponse> ring = RingFile.Create<NetifTxRequest, NetifTxResponse>(host.Host, "ring", RingVariant.Classic(0));
        if (content == "fifo")
        {
            using ChildProcess mkfifo = ChildProcess.Start("mkfifo", host.FilePath("ring.evtchn"));
            mkfifo.AssertExit(0, s_timeout);
        }
        else if (content == "dangling")
        {
            File.CreateSymbolicLink(host.FilePath("ring.evtchn"), host.FilePath("nowhere"));
        }
        else
        {
            File.WriteAllText(host.FilePath("ring.evtchn"), content);
        }

        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", "--attach", "ring", "--host", host.Path, "--count", "1", "--timeout", "5");
        rx.AssertExit(1, s_timeout);
        Assert.Contains("cannot attach", rx.Output);
        Assert.Contains(expected, rx.Output);
        Assert.DoesNotContain("Unhandled exception", rx.Output);
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("link")]
    [InlineData("socket")]
    [InlineData("dangling link")]
    public void Rx_FifoOrLinkAtTheRingName_ClearErrorExit1(string kind)
    {
        using var host = new TempHost();
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        if (kind == "fifo")
        {
            using ChildProcess mkfifo = ChildProcess.Start("mkfifo", host.FilePath("ring"));
            mkfifo.AssertExit(0, s_timeout);
        }
        else if (kind == "socket")
        {
            socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(host.FilePath("ring")));
        }
        else if (kind == "dangling link")
        {
            File.CreateSymbolicLink(host.FilePath("ring"), host.FilePath("nothing-here"));
        }
        else
        {
            string outside = host.FilePath("elsewhere");
            File.WriteAllBytes(outside, new byte[4096]);
            File.CreateSymbolicLink(host.FilePath("ring"), outside);
        }

        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", "--attach", "ring", "--host", host.Path, "--count", "1", "--timeout", "5");
        rx.AssertExit(1, s_timeout);
        Assert.Contains("cannot attach", rx.Output);
        Assert.DoesNotContain("Unhandled exception", rx.Output);
    }

    [Fact]
    public void Tx_RingLeftByAKilledFront_RemovedAndANewPairRuns()
    {
        using var host = new TempHost();
        using (ChildProcess killed = ChildProcess.StartDotnet("PvRing.Tx", "--create", "ring", "--host", host.Path, "--timeout", "60"))
        {
            Assert.True(SpinWait.SpinUntil(() => killed.Output.Contains("Tx: created"), s_timeout), killed.Output);
            killed.Kill();
        }

        Assert.True(File.Exists(host.FilePath("ring")) && File.Exists(host.FilePath("ring.evtchn")), "the killed front left its files");

        using ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", "--create", "ring", "--host", host.Path, "--count", "1000");
        Assert.True(SpinWait.SpinUntil(() => tx.Output.Contains("Tx: created") || tx.HasExited, s_timeout), tx.Output);
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", "--attach", "ring", "--host", host.Path, "--count", "1000");
        tx.AssertExit(0, s_timeout);
        rx.AssertExit(0, s_timeout);
        Assert.Contains("left by a front (domain 1) whose process is gone", tx.Output);
    }

    [Theory]
    [InlineData("ring-page-order", "9")]
    [InlineData("feature-split-rings", "2")]
    public async Task Rx_FrontMakesAnInvalidChoice_RefusesItWithTheErrorNodeAndExits1(string key, string value)
    {
        using var host = new TempHost();
        // The store outlives Rx (which exits as soon as it refused), so the front can still read the error node.
        await using StoreTestHost store = StoreTestHost.Start();
        string socket = store.SocketPath;
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", "--store", socket, "--store-owner", "external", "--host", host.Path, "--count", "1", "--timeout", "30");
        using ChildProcess front = ChildProcess.StartPeer("bad-choice-front", socket, key, value);

        // A refused negotiation is a protocol failure (1), not a timeout or a vanished peer (2), as docs/samples.md says.
        int frontCode = front.WaitForExit(s_timeout);
        rx.AssertExit(1, s_timeout);
        Assert.True(frontCode == 0, $"front exit code {frontCode}:\n{front.Output}\nRx:\n{rx.Output}");
        Assert.Contains("back end error: 22 ", front.Output);
        Assert.Contains(key, front.Output);
        Assert.Contains("negotiation failed", rx.Output);
        Assert.DoesNotContain("Unhandled exception", rx.Output);
    }

    [Fact]
    public void Tx_StoreDiesDuringNegotiation_ClearMessageExit2()
    {
        using var host = new TempHost();
        string socket = host.FilePath("xs.sock");
        using ChildProcess store = ChildProcess.StartDotnet("pvring", "store", "--socket", socket);
        Assert.True(SpinWait.SpinUntil(() => File.Exists(socket) || store.HasExited, s_timeout), store.Output);

        // Tx joins the store and waits for a back end that never comes; then the store dies under it.
        using ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", "--store", socket, "--host", host.Path, "--timeout", "30");
        Assert.True(SpinWait.SpinUntil(() => tx.Output.Contains("connected to the store") || tx.HasExited, s_timeout), tx.Output);
        store.Kill();

        tx.AssertExit(2, s_timeout);
        Assert.Contains("store", tx.Output);
        Assert.DoesNotContain("Unhandled exception", tx.Output);
    }

    [Fact]
    public void TxStoreMode_BothEndsKilled_NextPairRemovesTheDeadFrontsFilesAndRuns()
    {
        using var host = new TempHost();
        string socket = host.FilePath("xs.sock");
        string[] both = ["--store", socket, "--host", host.Path];
        using (ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", both))
        using (ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", [.. both, "--count", "1000000000"]))
        {
            Assert.True(SpinWait.SpinUntil(() => tx.Output.Contains("Tx: negotiated") || tx.HasExited, s_timeout), tx.Output);
            // Both at once (one kill(1)): a back that outlived its front would remove the dead front's files itself, and a
            // front that outlived its back (and its store) would remove its own; this is about files nobody removed.
            using ChildProcess kill = ChildProcess.Start("kill", "-KILL", rx.Id.ToString(), tx.Id.ToString());
            kill.AssertExit(0, s_timeout);
            Assert.True(SpinWait.SpinUntil(() => tx.HasExited && rx.HasExited, s_timeout));
        }

        Assert.True(File.Exists(host.FilePath("arena-1")), "the killed front left its arena");
        using ChildProcess rx2 = ChildProcess.StartDotnet("PvRing.Rx", [.. both, "--count", "1000"]);
        using ChildProcess tx2 = ChildProcess.StartDotnet("PvRing.Tx", [.. both, "--count", "1000"]);
        int code = tx2.WaitForExit(s_timeout);
        Assert.True(code == 0, $"Tx exit code {code}:\n{tx2.Output}\nRx:\n{rx2.Output}");
        rx2.AssertExit(0, s_timeout);
        Assert.Contains("whose process is gone left in", tx2.Output);
    }
}
