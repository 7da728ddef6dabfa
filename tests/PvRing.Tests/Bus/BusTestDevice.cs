// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Tests.Store;
using PvRing.Store;

namespace PvRing.Tests.Bus;

/// <summary>A store, a toolstack-created vif between a back end in domain 0 and a front end in domain 1.</summary>
internal sealed class BusTestDevice : IAsyncDisposable
{
    public static readonly XenBusOptions Options = new() { Timeout = StoreTestHost.Timeout };

    /// <summary>The bus's generic features and the netif ones, looked up by name in the tests.</summary>
    public static readonly IReadOnlyList<XenBusFeature> KnownFeatures = [.. XenBusStandardFeatures.Generic, .. PvRing.Transport.NetifKeys.All.Except(XenBusStandardFeatures.Generic)];

    private BusTestDevice(StoreTestHost host, XenStoreClient back, XenStoreClient front, XenBusDevice device)
    {
        Host = host;
        Back = back;
        Front = front;
        Device = device;
    }

    public StoreTestHost Host { get; }

    public XenStoreClient Back { get; }

    public XenStoreClient Front { get; }

    public XenBusDevice Device { get; }

    public static async Task<BusTestDevice> CreateAsync()
    {
        var host = StoreTestHost.Start();
        XenStoreClient back = await host.ConnectAsync();
        XenStoreClient front = await host.ConnectAsync(domainId: 1);
        var device = new XenBusDevice("vif", frontendDomainId: 1, backendDomainId: 0, deviceId: 0);
        await device.CreateAsync(back, StoreTestHost.Bounded());
        return new BusTestDevice(host, back, front, device);
    }

    public static IReadOnlyDictionary<string, string> RingKeys(XenBusNegotiation negotiation) =>
        new Dictionary<string, string> { ["tx-ring-ref"] = "8", ["rx-ring-ref"] = "9", ["event-channel"] = "3" };

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
