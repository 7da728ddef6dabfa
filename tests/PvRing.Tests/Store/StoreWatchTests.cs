// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Store;

namespace PvRing.Tests.Store;

public sealed class StoreWatchTests
{
    [Fact]
    public async Task WatchAsync_Registration_FiresOnceWithWatchedPath()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient client = await host.ConnectAsync();
        await using IAsyncEnumerator<XenStoreWatchEvent> events = client.WatchAsync("/w", StoreTestHost.Bounded()).GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("/w", events.Current.Path);
    }

    [Fact]
    public async Task WatchAsync_WriteFromAnotherClientBelowPath_FiresWithChangedPath()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient watcher = await host.ConnectAsync();
        XenStoreClient writer = await host.ConnectAsync();
        await using IAsyncEnumerator<XenStoreWatchEvent> events = watcher.WatchAsync("/w", StoreTestHost.Bounded()).GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync());

        await writer.WriteAsync("/elsewhere", "no event", StoreTestHost.Bounded());
        await writer.WriteAsync("/w/deep/key", "1", StoreTestHost.Bounded());
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("/w/deep/key", events.Current.Path);

        await writer.RemoveAsync("/w/deep", StoreTestHost.Bounded());
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("/w/deep", events.Current.Path);
    }

    [Fact]
    public async Task WatchAsync_NodeWithoutReadAccess_DeliversNoEvent()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient dom0 = await host.ConnectAsync();
        XenStoreClient guest = await host.ConnectAsync(domainId: 6);
        await using IAsyncEnumerator<XenStoreWatchEvent> events = guest.WatchAsync("/p", StoreTestHost.Bounded()).GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync());

        await dom0.WriteAsync("/p/secret", "x", StoreTestHost.Bounded());
        await dom0.WriteAsync("/p/public", "x", StoreTestHost.Bounded());
        await dom0.SetPermissionsAsync("/p/public", [new(0, XenStoreAccess.None), new(6, XenStoreAccess.Read)], StoreTestHost.Bounded());

        // The secret write comes first, so if the guest could see it, it would be the next event.
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("/p/public", events.Current.Path);
    }

    [Fact]
    public async Task WatchAsync_RelativePathAsDomain_ReportsRelativePaths()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient guest = await host.ConnectAsync(domainId: 9);
        await using IAsyncEnumerator<XenStoreWatchEvent> events = guest.WatchAsync("dev", StoreTestHost.Bounded()).GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("dev", events.Current.Path);
        await guest.WriteAsync("dev/state", "1", StoreTestHost.Bounded());
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("dev/state", events.Current.Path);
    }
}
