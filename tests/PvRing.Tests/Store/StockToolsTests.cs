// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using PvRing.Store;

namespace PvRing.Tests.Store;

/// <summary>Debian's xenstore-utils (libxenstore) against the store, with XENSTORED_PATH set.</summary>
public sealed class StockToolsTests
{
    [Fact]
    public async Task StockTools_WriteReadListExistsRm_Work()
    {
        await using var host = StoreTestHost.Start();
        Assert.Equal(0, (await host.RunToolAsync("xenstore-write", "/tool/a", "alpha", "/tool/b", "beta")).ExitCode);
        Assert.Equal(("alpha\n"), (await host.RunToolAsync("xenstore-read", "/tool/a")).Output);
        Assert.Equal("a\nb\n", (await host.RunToolAsync("xenstore-list", "/tool")).Output);
        Assert.Contains("b = \"beta\"", (await host.RunToolAsync("xenstore-ls", "/tool")).Output);
        Assert.Equal(0, (await host.RunToolAsync("xenstore-exists", "/tool/a")).ExitCode);
        Assert.Equal(0, (await host.RunToolAsync("xenstore-rm", "/tool/a")).ExitCode);
        Assert.NotEqual(0, (await host.RunToolAsync("xenstore-exists", "/tool/a")).ExitCode);
        Assert.NotEqual(0, (await host.RunToolAsync("xenstore-read", "/tool/a")).ExitCode);

        XenStoreClient client = await host.ConnectAsync();
        Assert.Equal(["b"], await client.ListAsync("/tool", StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task StockTools_Chmod_SetsPermissionsTheClientReads()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient client = await host.ConnectAsync();
        await client.WriteAsync("/perm/key", "v", StoreTestHost.Bounded());
        Assert.Equal(0, (await host.RunToolAsync("xenstore-chmod", "/perm/key", "n1", "r2", "b3")).ExitCode);
        Assert.Equal(
            [new(1, XenStoreAccess.None), new(2, XenStoreAccess.Read), new(3, XenStoreAccess.Both)],
            await client.GetPermissionsAsync("/perm/key", StoreTestHost.Bounded()));
        Assert.Contains("(n1,r2,b3)", (await host.RunToolAsync("xenstore-ls", "-p", "/perm")).Output);
    }

    [Fact]
    public async Task StockTools_WriteOversizedValue_FailsAndStoreKeepsServing()
    {
        await using var host = StoreTestHost.Start();
        (int exitCode, _, string error) = await host.RunToolAsync("xenstore-write", "/big", new string('x', 5000));
        Assert.NotEqual(0, exitCode);
        Assert.Contains("could not write", error);
        Assert.Equal(0, (await host.RunToolAsync("xenstore-write", "/small", "fine")).ExitCode);
        Assert.Equal("fine\n", (await host.RunToolAsync("xenstore-read", "/small")).Output);
    }

    [Fact]
    public async Task StockWatch_WriteFromClient_PrintsChangedPath()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient client = await host.ConnectAsync();
        using Process watch = host.Start("/usr/bin/xenstore-watch", "-n", "2", "/watched");
        try
        {
            using CancellationTokenSource timeout = new(StoreTestHost.Timeout);

            // The first line is the registration event: the watch is in place once it is printed.
            Assert.Equal("/watched", await watch.StandardOutput.ReadLineAsync(timeout.Token));
            await client.WriteAsync("/watched/child", "1", StoreTestHost.Bounded());
            Assert.Equal("/watched/child", await watch.StandardOutput.ReadLineAsync(timeout.Token));
            await watch.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, watch.ExitCode);
        }
        finally
        {
            if (!watch.HasExited)
            {
                watch.Kill();
            }
        }
    }
}
