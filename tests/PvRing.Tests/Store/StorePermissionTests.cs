// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Store;

namespace PvRing.Tests.Store;

public sealed class StorePermissionTests
{
    [Fact]
    public async Task WriteAsync_DomainWithReadOnlyAccess_ThrowsEaccesAndLeavesValue()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient dom0 = await host.ConnectAsync();
        XenStoreClient guest = await host.ConnectAsync(domainId: 1);
        await dom0.WriteAsync("/shared/key", "original", StoreTestHost.Bounded());
        await dom0.SetPermissionsAsync("/shared/key", [new(0, XenStoreAccess.None), new(1, XenStoreAccess.Read)], StoreTestHost.Bounded());

        Assert.Equal("original", await guest.ReadAsync("/shared/key", StoreTestHost.Bounded()));
        var e = await Assert.ThrowsAsync<XenStoreException>(() => guest.WriteAsync("/shared/key", "changed", StoreTestHost.Bounded()));
        Assert.Equal("EACCES", e.ErrorName);
        Assert.Equal("original", await dom0.ReadAsync("/shared/key", StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task ReadAsync_DomainNotListed_UsesOwnerEntryDefault()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient dom0 = await host.ConnectAsync();
        XenStoreClient guest = await host.ConnectAsync(domainId: 2);
        await dom0.WriteAsync("/open", "x", StoreTestHost.Bounded());
        await dom0.WriteAsync("/closed", "x", StoreTestHost.Bounded());
        await dom0.SetPermissionsAsync("/open", [new(0, XenStoreAccess.Read)], StoreTestHost.Bounded());

        Assert.Equal("x", await guest.ReadAsync("/open", StoreTestHost.Bounded()));
        var e = await Assert.ThrowsAsync<XenStoreException>(() => guest.ReadAsync("/closed", StoreTestHost.Bounded()));
        Assert.Equal("EACCES", e.ErrorName);
    }

    [Fact]
    public async Task SetPermissionsAsync_UnprivilegedOwnerChange_ThrowsEperm()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient guest = await host.ConnectAsync(domainId: 4);
        await guest.WriteAsync("mine", "x", StoreTestHost.Bounded());
        await guest.SetPermissionsAsync("mine", [new(4, XenStoreAccess.None), new(5, XenStoreAccess.Both)], StoreTestHost.Bounded());
        Assert.Equal([new(4, XenStoreAccess.None), new(5, XenStoreAccess.Both)], await guest.GetPermissionsAsync("mine", StoreTestHost.Bounded()));
        var e = await Assert.ThrowsAsync<XenStoreException>(() => guest.SetPermissionsAsync("mine", [new(5, XenStoreAccess.None)], StoreTestHost.Bounded()));
        Assert.Equal("EPERM", e.ErrorName);
    }

    [Theory]
    [InlineData("n0", 0, XenStoreAccess.None)]
    [InlineData("r1", 1, XenStoreAccess.Read)]
    [InlineData("w12", 12, XenStoreAccess.Write)]
    [InlineData("b32751", 32751, XenStoreAccess.Both)]
    public void Parse_ValidPermissionString_RoundTrips(string text, int domain, XenStoreAccess access)
    {
        XenStorePermission permission = XenStorePermission.Parse(text);
        Assert.Equal(new XenStorePermission(domain, access), permission);
        Assert.Equal(text, permission.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("x1")]
    [InlineData("r")]
    [InlineData("r-1")]
    [InlineData("r01")]
    [InlineData("r1 ")]
    [InlineData("r32752")]
    public void TryParse_MalformedPermissionString_ReturnsFalse(string text) =>
        Assert.False(XenStorePermission.TryParse(text, out _));
}
