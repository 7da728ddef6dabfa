// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Core.Tests.Infrastructure;
using PvRing.Store;

namespace PvRing.Core.Tests.Tool;

/// <summary>The `pvring store` verb as a user runs it: a real process, a real client, SIGTERM to stop.</summary>
public sealed class PvRingToolTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

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

    [Theory]
    [InlineData("store")]
    [InlineData("store", "--socket")]
    [InlineData("frobnicate")]
    public void Tool_BadCommandLine_ExitsWithUsage(params string[] args)
    {
        using ChildProcess tool = ChildProcess.StartDotnet("pvring", args);
        tool.AssertExit(64, s_timeout);
        Assert.Contains("usage", tool.Output, StringComparison.OrdinalIgnoreCase);
    }
}
