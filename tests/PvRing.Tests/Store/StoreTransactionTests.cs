// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Store;

namespace PvRing.Tests.Store;

public sealed class StoreTransactionTests
{
    [Fact]
    public async Task CommitAsync_ConflictingWriteSinceRead_ThrowsEagainAndAppliesNothing()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient a = await host.ConnectAsync();
        XenStoreClient b = await host.ConnectAsync();
        await a.WriteAsync("/counter", "0", StoreTestHost.Bounded());

        await using XenStoreTransaction transaction = await a.StartTransactionAsync(StoreTestHost.Bounded());
        Assert.Equal("0", await transaction.ReadAsync("/counter", StoreTestHost.Bounded()));
        await transaction.WriteAsync("/counter", "1", StoreTestHost.Bounded());
        await transaction.WriteAsync("/side-effect", "x", StoreTestHost.Bounded());
        await b.WriteAsync("/counter", "100", StoreTestHost.Bounded());

        var e = await Assert.ThrowsAsync<XenStoreException>(() => transaction.CommitAsync(StoreTestHost.Bounded()));
        Assert.True(e.IsConflict);
        Assert.Equal("100", await a.ReadAsync("/counter", StoreTestHost.Bounded()));
        Assert.False(await a.ExistsAsync("/side-effect", StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task RunTransactionAsync_ConflictOnFirstAttempt_RetriesAndCommits()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient a = await host.ConnectAsync();
        XenStoreClient b = await host.ConnectAsync();
        await a.WriteAsync("/counter", "0", StoreTestHost.Bounded());
        int attempts = 0;

        await a.RunTransactionAsync(async (t, token) =>
        {
            attempts++;
            int value = int.Parse(await t.ReadAsync("/counter", token));
            if (attempts == 1)
            {
                await b.WriteAsync("/counter", "10", token);
            }

            await t.WriteAsync("/counter", (value + 1).ToString(), token);
            return true;
        }, StoreTestHost.Bounded());

        Assert.Equal(2, attempts);
        Assert.Equal("11", await a.ReadAsync("/counter", StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task ReadAsync_InsideTransaction_SeesOwnWritesOnly()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient a = await host.ConnectAsync();
        await using XenStoreTransaction transaction = await a.StartTransactionAsync(StoreTestHost.Bounded());
        await transaction.WriteAsync("/tx/key", "inside", StoreTestHost.Bounded());
        Assert.Equal("inside", await transaction.ReadAsync("/tx/key", StoreTestHost.Bounded()));
        Assert.False(await a.ExistsAsync("/tx/key", StoreTestHost.Bounded()));
        await transaction.AbortAsync(StoreTestHost.Bounded());
        Assert.False(await a.ExistsAsync("/tx/key", StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task WatchAsync_WriteInsideTransaction_FiresOnlyAtCommit()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient a = await host.ConnectAsync();
        XenStoreClient watcher = await host.ConnectAsync();

        // Both nodes exist beforehand: creating a child changes the parent's child list, which would make the
        // outside write and the transaction conflict (as in xenstored).
        await a.WriteAsync("/txw/in-transaction", "0", StoreTestHost.Bounded());
        await a.WriteAsync("/txw/outside", "0", StoreTestHost.Bounded());
        await using IAsyncEnumerator<XenStoreWatchEvent> events = watcher.WatchAsync("/txw", StoreTestHost.Bounded()).GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync());

        await using XenStoreTransaction transaction = await a.StartTransactionAsync(StoreTestHost.Bounded());
        await transaction.WriteAsync("/txw/in-transaction", "1", StoreTestHost.Bounded());
        await a.WriteAsync("/txw/outside", "1", StoreTestHost.Bounded());
        await transaction.CommitAsync(StoreTestHost.Bounded());

        Assert.True(await events.MoveNextAsync());
        Assert.Equal("/txw/outside", events.Current.Path);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("/txw/in-transaction", events.Current.Path);
    }

    [Fact]
    public async Task DisposeAsync_ClientMidTransaction_LosesNothingElse()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient survivor = await host.ConnectAsync();
        XenStoreClient leaver = await host.ConnectAsync();
        await survivor.WriteAsync("/kept", "yes", StoreTestHost.Bounded());
        XenStoreTransaction transaction = await leaver.StartTransactionAsync(StoreTestHost.Bounded());
        await transaction.WriteAsync("/kept", "overwritten", StoreTestHost.Bounded());
        await leaver.DisposeAsync();

        Assert.Equal("yes", await survivor.ReadAsync("/kept", StoreTestHost.Bounded()));
        await survivor.RunTransactionAsync(async (t, token) =>
        {
            await t.WriteAsync("/kept", "still serving", token);
            return true;
        }, StoreTestHost.Bounded());
        Assert.Equal("still serving", await survivor.ReadAsync("/kept", StoreTestHost.Bounded()));
    }

    [Fact]
    public void Snapshot_LargeTree_CostsNothingUpFront_ReadsRepeatable_ConflictRefused()
    {
        var tree = new StoreTree(new XenStoreLimits());
        var changes = new List<StoreChange>();
        for (int i = 0; i < 20_000; i++)
        {
            tree.Write(StoreCaller.Privileged, $"/local/n{i}", [1], changes);
        }

        // Starting a transaction copies no node: its view fills as it touches paths.
        long before = GC.GetAllocatedBytesForCurrentThread();
        StoreTree view = tree.Snapshot();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 8 * 1024, $"a transaction over 20,000 nodes allocated {allocated} bytes at its start");

        // What the view read first it reads again, though the main tree changed; and the commit is refused.
        Assert.Equal([1], view.Read(StoreCaller.Privileged, "/local/n7"));
        tree.Write(StoreCaller.Privileged, "/local/n7", [2], changes);
        Assert.Equal([1], view.Read(StoreCaller.Privileged, "/local/n7"));
        view.Write(StoreCaller.Privileged, "/local/n8", [3], changes);
        Assert.False(tree.TryCommit(view, StoreCaller.Privileged));
        Assert.Equal([1], tree.Read(StoreCaller.Privileged, "/local/n8"));

        // A view that touched nothing changed commits its writes, removals included.
        StoreTree second = tree.Snapshot();
        second.Write(StoreCaller.Privileged, "/local/n9", [4], changes);
        second.Remove(StoreCaller.Privileged, "/local/n10", changes);
        Assert.True(tree.TryCommit(second, StoreCaller.Privileged));
        Assert.Equal([4], tree.Read(StoreCaller.Privileged, "/local/n9"));
        Assert.Throws<StoreOperationException>(() => tree.Read(StoreCaller.Privileged, "/local/n10"));
    }
}
