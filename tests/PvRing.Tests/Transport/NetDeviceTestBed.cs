// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Tests.Infrastructure;
using PvRing.Tests.Store;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Store;
using PvRing.Transport;

namespace PvRing.Tests.Transport;

/// <summary>
/// A store, a toolstack-created vif, and both ends' memory in one process: the front end is domain 1 (its grant
/// and event domains), the back end domain 0.
/// </summary>
internal sealed class NetDeviceTestBed : IAsyncDisposable
{
    public static readonly XenBusOptions Bus = new() { Timeout = StoreTestHost.Timeout };

    private NetDeviceTestBed(StoreTestHost store, XenStoreClient back, XenStoreClient front, XenBusDevice device, int queues, int order)
    {
        Store = store;
        BackStore = back;
        FrontStore = front;
        Device = device;
        // Room for the largest queues (order 4) plus 16 spare frames at the end for hand-made requests.
        Grants = GrantDomain.Create(Memory.Host, 1, NetFrontend.DomainOptionsFor(NetDeviceFeatures.All with { GrantModes = NetGrantModes.Copy, Queues = queues, RingPageOrder = order }, firstFrame: 16));
        FrontEvents = EventDomain.Create(Memory.Host, 1);
        BackEvents = EventDomain.Create(Memory.Host, 0);
    }

    public TempHost Memory { get; } = new();

    public StoreTestHost Store { get; }

    public XenStoreClient BackStore { get; }

    public XenStoreClient FrontStore { get; }

    public XenBusDevice Device { get; }

    public GrantDomain Grants { get; }

    public EventDomain FrontEvents { get; }

    public EventDomain BackEvents { get; }

    /// <summary>A test bed whose front memory fits <paramref name="queues"/> queues of ring page order <paramref name="order"/> (default: the largest).</summary>
    public static async Task<NetDeviceTestBed> CreateAsync(int queues = 1, int order = 4)
    {
        var store = StoreTestHost.Start();
        XenStoreClient back = await store.ConnectAsync();
        XenStoreClient front = await store.ConnectAsync(domainId: 1);
        var device = new XenBusDevice("vif", frontendDomainId: 1, backendDomainId: 0, deviceId: 0);
        await device.CreateAsync(back, StoreTestHost.Bounded());
        return new NetDeviceTestBed(store, back, front, device, queues, order);
    }

    public Task<NetBackend> ConnectBackAsync(NetDeviceFeatures offers) =>
        NetBackend.ConnectAsync(BackStore, Device, Memory.Host, BackEvents, new NetBackendOptions { Offers = offers, Bus = Bus }, StoreTestHost.Bounded());

    /// <summary>The first of the 16 arena frames no queue uses.</summary>
    public uint SpareFrame => Grants.FrameCount - 16;

    public Task<NetFrontend> ConnectFrontAsync(NetDeviceFeatures wants) =>
        NetFrontend.ConnectAsync(FrontStore, Device, Grants, FrontEvents, new NetFrontendOptions { Wants = wants, Bus = Bus }, StoreTestHost.Bounded());

    /// <summary>Back offers <paramref name="offers"/>, front wants <paramref name="wants"/>; both connected.</summary>
    public async Task<(NetFrontend Front, NetBackend Back)> ConnectBothAsync(NetDeviceFeatures offers, NetDeviceFeatures wants)
    {
        Task<NetBackend> back = ConnectBackAsync(offers);
        NetFrontend front = await ConnectFrontAsync(wants);
        return (front, await back);
    }

    /// <summary>
    /// Closes both ends (the front's close waits for the back's) and does the toolstack's part between two devices: the
    /// next <see cref="ConnectBothAsync"/> starts from a fresh device directory, on the same memory.
    /// </summary>
    public async Task RecycleAsync(NetFrontend front, NetBackend back)
    {
        ValueTask closing = front.DisposeAsync();
        await back.DisposeAsync();
        await closing;
        await BackStore.RemoveAsync(Device.FrontendPath);
        await BackStore.RemoveAsync(Device.BackendPath);
        await Device.CreateAsync(BackStore, StoreTestHost.Bounded());
    }

    public async ValueTask DisposeAsync()
    {
        BackEvents.Dispose();
        FrontEvents.Dispose();
        Grants.Dispose();
        await Store.DisposeAsync();
        Memory.Dispose();
    }
}
