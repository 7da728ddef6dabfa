// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using PvRing.Store;

namespace PvRing.Tests.Store;

public sealed class ReleaseDomainTests
{
    [Fact]
    public async Task ReleaseDomain_PeerProcessKilled_FiresAndDomainIsNoLongerIntroduced()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient dom0 = await host.ConnectAsync();
        await using IAsyncEnumerator<XenStoreWatchEvent> introduced = dom0.WatchAsync("@introduceDomain", StoreTestHost.Bounded()).GetAsyncEnumerator();
        await using IAsyncEnumerator<XenStoreWatchEvent> released = dom0.WatchAsync("@releaseDomain", StoreTestHost.Bounded()).GetAsyncEnumerator();
        Assert.True(await introduced.MoveNextAsync());
        Assert.True(await released.MoveNextAsync());

        using Process peer = host.StartPeer("store-domain", host.SocketPath, "5");
        try
        {
            using CancellationTokenSource timeout = new(StoreTestHost.Timeout);
            Assert.Equal("ready", await peer.StandardOutput.ReadLineAsync(timeout.Token));
            Assert.True(await introduced.MoveNextAsync());
            Assert.Equal("@introduceDomain", introduced.Current.Path);
            Assert.True(await dom0.IsDomainIntroducedAsync(5, StoreTestHost.Bounded()));
            Assert.Equal("1", await dom0.ReadAsync("/local/domain/5/alive", StoreTestHost.Bounded()));

            peer.Kill();
            Assert.True(await released.MoveNextAsync());
            Assert.Equal("@releaseDomain", released.Current.Path);
            Assert.False(await dom0.IsDomainIntroducedAsync(5, StoreTestHost.Bounded()));
        }
        finally
        {
            if (!peer.HasExited)
            {
                peer.Kill();
            }
        }
    }

    [Fact]
    public async Task ReleaseDomain_ClientDisposes_FiresOnceForLastConnection()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient dom0 = await host.ConnectAsync();
        await using IAsyncEnumerator<XenStoreWatchEvent> released = dom0.WatchAsync("@releaseDomain", StoreTestHost.Bounded()).GetAsyncEnumerator();
        Assert.True(await released.MoveNextAsync());
        XenStoreClient first = await host.ConnectAsync(domainId: 8);
        XenStoreClient second = await host.ConnectAsync(domainId: 8);

        await first.DisposeAsync();
        Assert.True(await dom0.IsDomainIntroducedAsync(8, StoreTestHost.Bounded()));
        await second.DisposeAsync();
        Assert.True(await released.MoveNextAsync());
        Assert.False(await dom0.IsDomainIntroducedAsync(8, StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task StockWatch_ReleaseDomainWhenPeerKilled_PrintsEvent()
    {
        await using var host = StoreTestHost.Start();
        using Process watch = host.Start("/usr/bin/xenstore-watch", "-n", "2", "@releaseDomain");
        using Process peer = host.StartPeer("store-domain", host.SocketPath, "11");
        try
        {
            using CancellationTokenSource timeout = new(StoreTestHost.Timeout);
            Assert.Equal("@releaseDomain", await watch.StandardOutput.ReadLineAsync(timeout.Token));
            Assert.Equal("ready", await peer.StandardOutput.ReadLineAsync(timeout.Token));
            peer.Kill();
            Assert.Equal("@releaseDomain", await watch.StandardOutput.ReadLineAsync(timeout.Token));
        }
        finally
        {
            foreach (Process process in new[] { watch, peer })
            {
                if (!process.HasExited)
                {
                    process.Kill();
                }
            }
        }
    }

    [Fact]
    public async Task IntroduceDomainAsync_BeforeItsProcessConnects_IntroducedUntilItsLastConnectionCloses()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient dom0 = await host.ConnectAsync();
        await dom0.IntroduceDomainAsync(6, StoreTestHost.Bounded());
        Assert.True(await dom0.IsDomainIntroducedAsync(6, StoreTestHost.Bounded()));

        XenStoreClient guest = await host.ConnectAsync(domainId: 6);
        await Assert.ThrowsAsync<XenStoreException>(() => guest.IntroduceDomainAsync(7, StoreTestHost.Bounded()));
        await guest.DisposeAsync();
        Assert.True(SpinWait.SpinUntil(() => !dom0.IsDomainIntroducedAsync(6).Result, StoreTestHost.Timeout), "the domain must be released with its last connection");
    }
}
