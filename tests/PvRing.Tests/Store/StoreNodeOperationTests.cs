// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Store;

namespace PvRing.Tests.Store;

public sealed class StoreNodeOperationTests
{
    [Fact]
    public async Task WriteAsync_ThenReadAsync_ReturnsValue()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient client = await host.ConnectAsync();
        await client.WriteAsync("/a/b/c", "hello", StoreTestHost.Bounded());
        Assert.Equal("hello", await client.ReadAsync("/a/b/c", StoreTestHost.Bounded()));
        Assert.Equal("", await client.ReadAsync("/a/b", StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task DisposeAsync_SocketDirectoryRemovedFirst_StopsWithoutError()
    {
        // The store's directory taken away before the server is disposed (a temporary-files reaper): its socket is gone
        // with it, and the dispose still stops the server.
        await using var host = StoreTestHost.Start();
        XenStoreClient client = await host.ConnectAsync();
        await client.WriteAsync("/a", "1", StoreTestHost.Bounded());
        Directory.Delete(Path.GetDirectoryName(host.SocketPath)!, recursive: true);
        await host.Server.DisposeAsync().AsTask().WaitAsync(StoreTestHost.Timeout);
        Assert.False(File.Exists(host.SocketPath));
    }

    [Fact]
    public async Task ReadAsync_MissingNode_ThrowsEnoent()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient client = await host.ConnectAsync();
        var e = await Assert.ThrowsAsync<XenStoreException>(() => client.ReadAsync("/missing", StoreTestHost.Bounded()));
        Assert.Equal("ENOENT", e.ErrorName);
        Assert.Null(await client.TryReadAsync("/missing", StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task ListAsync_AfterWritesAndMkdir_ListsChildrenInOrder()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient client = await host.ConnectAsync();
        await client.WriteAsync("/d/z", "1", StoreTestHost.Bounded());
        await client.WriteAsync("/d/a", "2", StoreTestHost.Bounded());
        await client.MakeDirectoryAsync("/d/m", StoreTestHost.Bounded());
        await client.MakeDirectoryAsync("/d/m", StoreTestHost.Bounded());
        Assert.Equal(["a", "m", "z"], await client.ListAsync("/d", StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task RemoveAsync_Subtree_RemovesNodeAndChildren()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient client = await host.ConnectAsync();
        await client.WriteAsync("/r/x/y", "1", StoreTestHost.Bounded());
        await client.WriteAsync("/r/keep", "1", StoreTestHost.Bounded());
        await client.RemoveAsync("/r/x", StoreTestHost.Bounded());
        Assert.False(await client.ExistsAsync("/r/x/y", StoreTestHost.Bounded()));
        Assert.Equal(["keep"], await client.ListAsync("/r", StoreTestHost.Bounded()));
        var e = await Assert.ThrowsAsync<XenStoreException>(() => client.RemoveAsync("/nothing/here", StoreTestHost.Bounded()));
        Assert.Equal("ENOENT", e.ErrorName);
    }

    [Fact]
    public async Task GetDomainPathAsync_Domain_ReturnsLocalDomainPath()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient client = await host.ConnectAsync();
        Assert.Equal("/local/domain/7", await client.GetDomainPathAsync(7, StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task WriteAsync_RelativePathAsDomain_LandsInDomainHome()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient guest = await host.ConnectAsync(domainId: 3);
        XenStoreClient dom0 = await host.ConnectAsync();
        await guest.WriteAsync("data/x", "v", StoreTestHost.Bounded());
        Assert.Equal("v", await dom0.ReadAsync("/local/domain/3/data/x", StoreTestHost.Bounded()));
        Assert.Equal(new XenStorePermission(3, XenStoreAccess.None), (await dom0.GetPermissionsAsync("/local/domain/3/data/x", StoreTestHost.Bounded()))[0]);
    }

    [Theory]
    [InlineData("/trailing/")]
    [InlineData("/double//slash")]
    [InlineData("/bad char")]
    [InlineData("@introduceDomain")]
    public async Task WriteAsync_InvalidPath_ThrowsEinval(string path)
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient client = await host.ConnectAsync();
        var e = await Assert.ThrowsAsync<XenStoreException>(() => client.WriteAsync(path, "v", StoreTestHost.Bounded()));
        Assert.Equal("EINVAL", e.ErrorName);
    }
}
