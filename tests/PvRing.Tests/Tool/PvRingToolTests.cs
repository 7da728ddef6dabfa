// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Store;

namespace PvRing.Tests.Tool;

/// <summary>The `pvring` tool as a user runs it: real processes (the store with a real client and SIGTERM; ls and inspect on a live and a killed pair).</summary>
public sealed class PvRingToolTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    // The smoke matrix as MatrixSmokeTests bounds it: a bound on a hang, not a speed test (it took 65 s on a loaded 2-core
    // machine, where 30 s failed it).
    private static readonly TimeSpan s_benchTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Store_ServesClientsUntilSigterm_ThenRemovesSocketAndExitsZero()
    {
        using var host = new TempHost();
        string socket = host.FilePath("xenstored.sock");
        using ChildProcess store = ChildProcess.StartDotnet("pvring", "store", "--socket", socket);
        using (var cancel = new CancellationTokenSource(s_timeout))
        {
            // The store binds, makes the socket 0600, then listens: once a client gets in, the mode is final.
            await using XenStoreClient client = await ConnectWhenListeningAsync(store, socket, cancel.Token);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
            await client.WriteAsync("/local/domain/0/name", "Domain-0", cancel.Token);
            Assert.Equal("Domain-0", await client.ReadAsync("/local/domain/0/name", cancel.Token));
        }

        using (ChildProcess kill = ChildProcess.Start("kill", "-TERM", store.Id.ToString()))
        {
            kill.AssertExit(0, s_timeout);
        }

        store.AssertExit(0, s_timeout);
        Assert.False(File.Exists(socket), "the store removes its socket when it stops");
    }

    private static async Task<XenStoreClient> ConnectWhenListeningAsync(ChildProcess store, string socket, CancellationToken cancellationToken)
    {
        while (true)
        {
            Assert.False(store.HasExited, store.Output);
            try
            {
                return await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket }, cancellationToken);
            }
            catch (PvRingException e) when (e.InnerException is System.Net.Sockets.SocketException)
            {
                // Not bound or not listening yet: ask again (bounded by the token).
                await Task.Yield();
            }
        }
    }

    [Fact]
    public void LsAndInspect_LiveThenKilledPair_ShowTheOwnersAliveThenGone()
    {
        using var host = new TempHost();
        string socket = host.FilePath("xs.sock");
        string[] both = ["--store", socket, "--host", host.Path, "--grant-mode", "deferred"];
        using (ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", both))
        using (ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", [.. both, "--count", "1000000000"]))
        {
            Assert.True(SpinWait.SpinUntil(() => tx.Output.Contains("Tx: negotiated") || tx.HasExited, s_timeout), tx.Output);
            string live = Run("ls", "--host", host.Path);
            Assert.Matches($@"Arena\s+1\s+\d+\s+0600 rw-------\s+\d+\s+{tx.Id} alive\s+arena-1", live);
            Assert.Matches($@"EventPage\s+0\s+.*{rx.Id} alive\s+evtchn-0", live);
            Assert.Matches(@"FlushPage\s+1\s+.*gntflush-1-0", live);
            Assert.Matches(@"Socket\s+-\s+.*xs\.sock", live);
            Assert.DoesNotContain("stale", live);

            string page = Run("inspect", host.FilePath("evtchn-1"));
            Assert.Contains($"owner-pid       {tx.Id}", page);
            Assert.Contains("owner-alive     yes", page);
            Assert.Matches(@"port 1\s+state=2 remote-domain=0 remote-port=\d+", page);
            Assert.Matches(@"granted\s+\d+", Run("inspect", host.FilePath("gnttab-1")));
            Assert.Matches(@"completed-epoch\s+\d+", Run("inspect", host.FilePath("gntflush-1-0")));

            // Both at once (one kill(1)): a survivor would tidy up after the other, and this is about what nobody tidied.
            using ChildProcess kill = ChildProcess.Start("kill", "-KILL", tx.Id.ToString(), rx.Id.ToString());
            kill.AssertExit(0, s_timeout);
            Assert.True(SpinWait.SpinUntil(() => tx.HasExited && rx.HasExited, s_timeout));
        }

        string dead = Run("ls", "--host", host.Path);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(dead, @"Arena\s+1\s+.*GONE\s+arena-1"), dead);
        Assert.Contains("belong to processes that are gone: stale, safe to remove", dead);
    }

    [Fact]
    public void Inspect_RingFileAndOthers_IndexesOrAClearError()
    {
        using var host = new TempHost();
        using (PvRing.Rings.FrontRing<PvRing.Protocols.Netif.NetifTxRequest, PvRing.Protocols.Netif.NetifTxResponse> ring =
            PvRing.Rings.RingFile.Create<PvRing.Protocols.Netif.NetifTxRequest, PvRing.Protocols.Netif.NetifTxResponse>(host.Host, "vif0-tx", PvRing.Rings.RingVariant.Classic(1)))
        {
            using (var batch = ring.ClaimRequests(5))
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    batch[i] = new PvRing.Protocols.Netif.NetifTxRequest { Id = (ushort)i, Size = 64 };
                }
            }

            string shown = Run("inspect", host.FilePath("vif0-tx"));
            Assert.Contains("kind                   Ring", shown);
            Assert.Contains("pages                  2", shown);
            Assert.Contains("req_prod               5", shown);
            Assert.Contains("requests-not-answered  5", shown);
        }

        File.WriteAllText(host.FilePath("notes.txt"), "not shared memory");
        using ChildProcess tool = ChildProcess.StartDotnet("pvring", "inspect", host.FilePath("notes.txt"));
        tool.AssertExit(1, s_timeout);
        Assert.Contains("Cannot inspect a Unknown file", tool.Output);
    }

    [Fact]
    public void Version_And_Topology_Succeed()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+", Run("--version"));
        string topology = Run("topology");
        Assert.Contains("machine: ", topology);
        Assert.Contains("SameCpu: cpu", topology);
        Assert.Contains("multiqueue spread order", topology);
    }

    [Fact]
    public void Bench_RunsTheHarnessMatrix_OrSaysWhereTheHarnessIs()
    {
        using var host = new TempHost();
        string output = host.FilePath("bench");
        string ran = Run(s_benchTimeout, "bench", "--harness", PvRing.Tests.Harness.MatrixSmokeTests.HarnessAssembly(), "--smoke", "--out", output);
        Assert.Contains("matrix --smoke --out", ran);
        Assert.True(File.Exists(Path.Combine(output, "matrix.md")), ran);
        Assert.True(File.Exists(Path.Combine(output, "matrix.json")), ran);

        using ChildProcess missing = ChildProcess.StartDotnet("pvring", "bench", "--harness", host.FilePath("nowhere"));
        missing.AssertExit(69, s_timeout);
        Assert.Contains("no harness found", missing.Output);
    }

    private static string Run(params string[] args) => Run(s_timeout, args);

    private static string Run(TimeSpan timeout, params string[] args)
    {
        using ChildProcess tool = ChildProcess.StartDotnet("pvring", args);
        tool.AssertExit(0, timeout);
        return tool.Output;
    }

    [Theory]
    [InlineData("store")]
    [InlineData("store", "--socket")]
    [InlineData("store", "--socket", "/tmp/x.sock", "--max-value-size", "big")]
    [InlineData("frobnicate")]
    [InlineData("inspect")]
    public void Tool_BadCommandLine_ExitsWithUsage(params string[] args)
    {
        using ChildProcess tool = ChildProcess.StartDotnet("pvring", args);
        tool.AssertExit(64, s_timeout);
        Assert.Contains("usage", tool.Output, StringComparison.OrdinalIgnoreCase);
    }
}
