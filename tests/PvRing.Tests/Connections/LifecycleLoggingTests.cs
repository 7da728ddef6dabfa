// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Store;
using PvRing.Transport;

namespace PvRing.Tests.Connections;

/// <summary>
/// Lifecycle events reach the <see cref="Microsoft.Extensions.Logging.ILogger"/> in the options with their event ids: the
/// store's (100-139), XenBus's (200-219) and the net devices' (20-39), passed down by the application API.
/// </summary>
public sealed class LifecycleLoggingTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Store_ClientConnectsAsDomainAndLeaves_ServerLogsConnectRestrictIntroduceAndClose()
    {
        using var host = new TempHost();
        var serverLog = new ListLogger();
        var clientLog = new ListLogger();
        await using (XenStoreServer server = XenStoreServer.Start(new XenStoreServerOptions { SocketPath = host.Host.GetFilePath(XenStoreServer.DefaultSocketName), Logger = serverLog }))
        {
            await using (XenStoreClient client = await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = server.SocketPath, DomainId = 3, Logger = clientLog }).WaitAsync(s_bound))
            {
                await client.WriteAsync("data", "x").WaitAsync(s_bound);
                await Assert.ThrowsAsync<XenStoreException>(() => client.ReadAsync("/local/domain/0/secret").WaitAsync(s_bound));
            }

            await WaitForAsync(() => serverLog.EventIds.Contains(101));
        }

        Assert.Contains(100, serverLog.EventIds); // connected
        Assert.Contains(105, serverLog.EventIds); // is domain 3
        Assert.Contains(106, serverLog.EventIds); // domain 3 introduced
        Assert.Contains(104, serverLog.EventIds); // the refused read
        Assert.True(serverLog.Contains("domain 3"));
        Assert.Contains(101, serverLog.EventIds); // closed
    }

    [Fact]
    public async Task Connection_ThroughTheApplicationApi_XenBusAndNetEventsReachBothLoggers()
    {
        using var host = new TempHost();
        var listenerLog = new ListLogger();
        var frontLog = new ListLogger();
        await using PvRingListener listener = await PvRingListener.StartAsync("lifecycle-log", new() { Host = host.Host, Logger = listenerLog });
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("lifecycle-log", new() { Host = host.Host, Logger = frontLog });
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        await using PvRingConnection front = await connecting.WaitAsync(s_bound);

        Assert.Contains(201, listenerLog.EventIds); // xenbus back end advertised, InitWait
        Assert.Contains(200, listenerLog.EventIds); // xenbus state changes
        Assert.True(listenerLog.EventIds.Contains(20) || listenerLog.EventIds.Contains(21)); // net back end connected (with or without a NUMA node)
        Assert.Contains(202, frontLog.EventIds); // xenbus front end published its choices
        Assert.Contains(22, frontLog.EventIds); // net front end connected
        Assert.Contains(4, frontLog.EventIds); // the application API's own "connected"
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(s_bound);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
