// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Memory;
using PvRing.Store;
using PvRing.Transport;

namespace PvRing.Tests.Connections;

/// <summary>
/// A front end's claim (<c>/pvring/claims/N</c>) goes when its connection ends. The soak found this: claims were kept,
/// and once their listing passed the store's 4096-byte reply (about a thousand front ends) the listener served no one.
/// </summary>
public sealed class PvRingListenerClaimTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task DisposeAsync_ConnectionsEnd_TheirClaimsAreRemoved()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("claims", new() { Host = host.Host });
        for (int i = 0; i < 3; i++)
        {
            Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("claims", new() { Host = host.Host });
            await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
            await using PvRingConnection front = await connecting.WaitAsync(s_bound);
        }

        await using XenStoreClient store = await XenStoreClient.ConnectAsync(
            new XenStoreClientOptions { SocketPath = PvRingRendezvous.SocketOf(new HostDirectory(listener.DirectoryPath)), RequestTimeout = s_bound });
        IReadOnlyList<string> claims = [];
        bool removed = SpinWait.SpinUntil(
            () => (claims = store.ListAsync(PvRingRendezvous.Claims).GetAwaiter().GetResult()).Count == 0,
            s_bound);
        Assert.True(removed, $"claims left: {string.Join(", ", claims)}");
    }
}
