// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Rings;
using PvRing.Store;
using PvRing.Transport;

namespace PvRing.TestPeer;

/// <summary>
/// <c>net-asleep front|back SOCKET HOST sync|async copy|deferred</c>: one end of vif/1/0 in store mode (the back end is
/// domain 0, the front end domain 1, both over named files in HOST; one queue, one event channel, one-page rings). Once
/// connected it receives one packet (proof that data flows), prints <c>ready</c> and waits to receive the next, asleep on
/// its channel (<c>Wait</c> or <c>WaitAsync</c>). It prints <c>connected</c> once it has its store connection: the test truncates a shared file under it. Prints <c>error: TYPE:
/// MESSAGE</c> and exits 1 when the library ends the wait with a <see cref="PvRingException"/>, exits 0 if a second packet
/// came, 2 if the wait ended otherwise, 3 on any other exception. A SIGBUS would be exit 134.
/// </summary>
internal sealed class NetAsleepVerb : IPeerVerb
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    public string Name => "net-asleep";

    public int Run(string[] args)
    {
        if (args.Length != 5 || args[0] is not ("front" or "back") || args[3] is not ("sync" or "async") || args[4] is not ("copy" or "deferred"))
        {
            Console.Error.WriteLine("usage: net-asleep front|back SOCKET HOST sync|async copy|deferred");
            return 64;
        }

        NetDeviceFeatures features = new(RingFeatures.None, 0, SplitEventChannels: false, args[4] == "copy" ? NetGrantModes.Copy : NetGrantModes.DeferredUnmap);
        try
        {
            return RunAsync(args[0] == "front", args[1], new HostDirectory(args[2]), args[3] == "async", features).GetAwaiter().GetResult();
        }
        catch (PvRingException e)
        {
            Console.Out.WriteLine($"error: {e.GetType().Name}: {e.Message}");
            Console.Out.Flush();
            return 1;
        }
        catch (Exception e)
        {
            Console.Out.WriteLine($"unexpected: {e}");
            Console.Out.Flush();
            return 3;
        }
    }

    private static async Task<int> RunAsync(bool isFront, string socket, HostDirectory host, bool isAsync, NetDeviceFeatures features)
    {
        using var lifetime = new CancellationTokenSource(s_bound);
        var device = new XenBusDevice("vif", 1, 0, 0);
        await using XenStoreClient store = await XenStoreClient.ConnectAsync(
            new XenStoreClientOptions { SocketPath = socket, DomainId = isFront ? 1 : null }, lifetime.Token);
        Console.Out.WriteLine("connected"); // a back end sees a front end whose domain has no store connection as gone
        Console.Out.Flush();
        if (isFront)
        {
            using GrantDomain grants = GrantDomain.Create(host, 1, NetFrontend.DomainOptionsFor(features));
            using EventDomain events = EventDomain.Create(host, 1);
            await using NetFrontend front = await NetFrontend.ConnectAsync(store, device, grants, events, new NetFrontendOptions { Wants = features }, lifetime.Token);
            NetFrontQueue queue = front.Queue;
            return await ReceiveTwiceAsync(
                queue.TryReceive, NetDirections.Receive, queue.Wait, queue.WaitAsync, isAsync, lifetime.Token);
        }

        using EventDomain backEvents = EventDomain.Create(host, 0);
        await using NetBackend back = await NetBackend.ConnectAsync(store, device, host, backEvents, new NetBackendOptions { Offers = features }, lifetime.Token);
        NetBackQueue backQueue = back.Queue;
        return await ReceiveTwiceAsync(
            backQueue.TryReceive, NetDirections.Transmit, backQueue.Wait, backQueue.WaitAsync, isAsync, lifetime.Token);
    }

    private delegate bool TryReceive(Span<byte> destination, out int length);

    private delegate EventWaitResult SyncWait(NetDirections directions, SpinThenBlockWait strategy, TimeSpan timeout, CancellationToken cancellationToken);

    private delegate ValueTask<EventWaitResult> AsyncWait(NetDirections directions, TimeSpan timeout, CancellationToken cancellationToken);

    private static async Task<int> ReceiveTwiceAsync(
        TryReceive tryReceive, NetDirections direction, SyncWait wait, AsyncWait waitAsync, bool isAsync, CancellationToken cancellationToken)
    {
        var buffer = new byte[NetPacketLimits.MaxPacketSize];
        for (int packet = 0; packet < 2; packet++)
        {
            while (true)
            {
                if (tryReceive(buffer, out int length))
                {
                    Console.Out.WriteLine(packet == 0 ? "ready" : $"received a second packet of {length} bytes");
                    Console.Out.Flush();
                    break;
                }

                EventWaitResult result = isAsync
                    ? await waitAsync(direction, s_bound, cancellationToken)
                    : wait(direction, default, s_bound, cancellationToken);
                if (result != EventWaitResult.Signaled)
                {
                    Console.Out.WriteLine($"the wait ended: {result}");
                    return 2;
                }
            }
        }

        return 0;
    }
}
