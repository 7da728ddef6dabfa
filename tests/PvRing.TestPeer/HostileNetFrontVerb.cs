// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Store;
using PvRing.Transport;

namespace PvRing.TestPeer;

/// <summary>
/// <c>hostile-net-front SOCKET HOST CASE</c>: connects to vif/0 through the store as the front end (domain 1, copy
/// mode, one-page rings, feature-sg), then posts one malformed transmit chain straight onto the ring instead of a packet:
/// <c>too-many-slots</c> (19), <c>sizes</c> (the first slot smaller than the rest), <c>ungranted</c> (a reference never
/// granted), <c>overrun</c> (offset + size past the page) or <c>extra-info</c> (an unnegotiated flag). Prints the back
/// end's <c>error</c> node once it closes the device; exits 0 if it did within 30 seconds.
/// </summary>
internal sealed class HostileNetFrontVerb : IPeerVerb
{
    private const int SpareFrames = 24;

    public string Name => "hostile-net-front";

    public int Run(string[] args)
    {
        if (args.Length != 3)
        {
            Console.Error.WriteLine("usage: hostile-net-front SOCKET HOST too-many-slots|sizes|ungranted|overrun|extra-info");
            return 64;
        }

        return RunAsync(args[0], new HostDirectory(args[1]), args[2]).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string socket, HostDirectory host, string hostile)
    {
        using var lifetime = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        NetDeviceFeatures wants = NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = NetGrantModes.Copy };
        GrantDomainOptions memory = NetFrontend.DomainOptionsFor(wants);
        memory.ArenaFrames += SpareFrames;
        using GrantDomain grants = GrantDomain.Create(host, 1, memory);
        using EventDomain events = EventDomain.Create(host, 1);
        await using XenStoreClient store = await ConnectAsync(socket, lifetime.Token);
        var device = new XenBusDevice("vif", 1, 0, 0);
        await using NetFrontend front = await NetFrontend.ConnectAsync(store, device, grants, events, new NetFrontendOptions { Wants = wants }, lifetime.Token);

        uint spare = grants.FrameCount - SpareFrames;
        NetifTxRequest Slot(int page, ushort size, NetifTxFlags flags, ushort offset = 0) => new()
        {
            GrantRef = grants.GrantAccess(0, spare + (uint)page, readOnly: true),
            Offset = offset,
            Flags = flags,
            Id = (ushort)page,
            Size = size,
        };

        NetifTxRequest[] chain = hostile switch
        {
            "too-many-slots" => [.. Enumerable.Range(0, 19).Select(i => Slot(i, (ushort)(i == 0 ? 19 : 1), i < 18 ? NetifTxFlags.MoreData : NetifTxFlags.None))],
            "sizes" => [Slot(0, 100, NetifTxFlags.MoreData), Slot(1, 200, NetifTxFlags.None)],
            "ungranted" => [new NetifTxRequest { GrantRef = 5000, Id = 0, Size = 64 }],
            "overrun" => [Slot(0, 200, NetifTxFlags.None, offset: 4000)],
            "extra-info" => [Slot(0, 64, NetifTxFlags.ExtraInfo)],
            _ => throw new ArgumentException($"unknown case '{hostile}'"),
        };

        foreach (NetifTxRequest request in chain)
        {
            front.Queue.TransmitRing.ProduceRequest(request);
        }

        front.Queue.TransmitRing.PushRequests();
        try
        {
            front.Queue.TransmitChannel.Notify();
        }
        catch (PvRingException)
        {
            // A back end that polls its ring may take the chain, refuse it and close (its event page gone) before this
            // notify attaches to it; the error node below is what counts.
        }

        Console.Out.WriteLine($"posted {chain.Length} slots ({hostile})");
        Console.Out.Flush();

        await front.BackendGone.WaitAsync(lifetime.Token);
        string? error = await store.TryReadAsync(device.BackendPath + "/error", lifetime.Token);
        Console.Out.WriteLine($"back end error: {error}");
        return error is null ? 1 : 0;
    }

    private static async Task<XenStoreClient> ConnectAsync(string socket, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket, DomainId = 1 }, cancellationToken);
            }
            catch (Exception e) when (e is PvRingException or System.Net.Sockets.SocketException or IOException)
            {
                // The back end's process hosts the store and may not listen yet.
                await Task.Delay(50, cancellationToken);
            }
        }
    }
}
