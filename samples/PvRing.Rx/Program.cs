// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing;
using PvRing.Bus;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Rx;
using PvRing.Samples;
using PvRing.Store;
using PvRing.Transport;

// PvRing.Rx: the back. Attaches to a ring file a front created and answers every request.
const string Usage = """
    usage: PvRing.Rx --attach FILE [--count N] [--timeout SECONDS] [--wait MODE] [--host DIR]
           PvRing.Rx --store SOCKET [--store-owner self|external] [--max-order K] [feature switches] [packet switches]
                     [--grant-mode MODES] [--count N] [--timeout SECONDS] [--wait MODE] [--host DIR]
           PvRing.Rx --name NAME [--queues N] [--max-order K] [feature switches] [packet switches] [--grant-mode MODES] [--count N]
                     [--timeout SECONDS] [--host DIR]
      --attach FILE   ring file to serve: a name in the host directory, or a path; waits for it to appear; the classic
                      C-compatible ring of 12-byte requests, each answered with its id and NETIF_RSP_OKAY (no packets)
      --store SOCKET  instead of a ring file: host a xenstore-compatible store at SOCKET (0600; put it in a 0700
                      directory), introduce the front's domain 1 and create device vif/0 as the toolstack, offer the
                      features below as the back end (domain 0), map what the front end (PvRing.Tx --store) grants,
                      print what was negotiated, and move numbered, checksummed packets; without --count, serve one
                      front end after another (re-creating the device each time) until SIGINT/SIGTERM
    """ + ConnectionMode.Usage + """
                      (as the listener: without --count, accept one front after another until SIGINT/SIGTERM)
      --store-owner W self (default): this process hosts the store; external: connect to a store already there
                      (for example `pvring store --socket SOCKET`)
      --max-order K   with --store or --name: the max-ring-page-order offered, 0..4 (default 4)
    """ + StoreMode.FeatureUsage + PacketOptions.Usage + """
      --grant-mode M  the grant modes offered: all (default) or a comma-separated list of copy, map, persistent,
                      direct, deferred (a front that wants another mode gets copy)
      --count N       exit after N requests (--attach) or N packets per direction with one front end (--store)
                      (default: serve until SIGINT/SIGTERM, or until the front removes the file with --attach)
      --timeout S     give up after S seconds waiting for the file or the front end, or without progress when --count
                      is given (default 30); serving without --count, a front that does not come is waited for again
      --wait MODE     when the ring is dry: block (default: spin, then sleep on the event channel), spin, yield;
                      a front without the FILE.evtchn sidecar (the C peer) is polled whatever the mode
      --host DIR      host directory for a bare FILE name, and where the front's grant table and arena live
                      (default $PVRING_HOST or /dev/shm/pvring-<uid>)
    With --attach the order is inferred from the file size; each request is copied out of the ring, validated, and
    answered with its id and NETIF_RSP_OKAY. Exit codes: 0 done (without --count: interrupted after serving, or
    the ring file removed); 1 protocol or verification failure (a bad packet); 2 timeout, the front went away
    before --count, or (--attach) the front's process died; 64 usage (also: a packet size larger than the negotiated features allow); 130 interrupted
    (while connecting or before --count).
    """;

var arguments = SampleArguments.Parse(args, Usage, ["--attach", "--store", "--name", "--queues", "--store-owner", "--max-order", "--count", "--timeout", "--wait", "--host", .. StoreMode.FeatureOptions, .. PacketOptions.Names]);
string? file = arguments.GetString("--attach");
string? storeSocket = arguments.GetString("--store");
string? meetingName = arguments.GetString("--name");
if ((file is null ? 0 : 1) + (storeSocket is null ? 0 : 1) + (meetingName is null ? 0 : 1) != 1)
{
    SampleArguments.Fail(Usage, "give exactly one of --attach FILE, --store SOCKET and --name NAME");
    return SampleArguments.UsageExitCode;
}

if (file is not null && (arguments.GetString("--store-owner") is not null || arguments.GetString("--max-order") is not null
    || StoreMode.FeatureOptions.Concat(PacketOptions.Names).Any(o => arguments.GetString(o) is not null)))
{
    SampleArguments.Fail(Usage, "--store-owner, --max-order, the feature and the packet switches need --store or --name: a ring file is always classic, for C peers");
    return SampleArguments.UsageExitCode;
}

if (meetingName is not null && (arguments.GetString("--store-owner") is not null || arguments.GetString("--wait") is not null))
{
    SampleArguments.Fail(Usage, "--store-owner and --wait are not for --name: the listener hosts its store, and a connection spins a little, then awaits");
    return SampleArguments.UsageExitCode;
}

if (meetingName is null && arguments.GetString("--queues") is not null)
{
    SampleArguments.Fail(Usage, "--queues is for --name: multiqueue comes with the application API");
    return SampleArguments.UsageExitCode;
}

long? count = arguments.GetString("--count") is null ? null : arguments.GetInt64("--count", 0, 1, long.MaxValue, Usage);
TimeSpan timeout = TimeSpan.FromSeconds(arguments.GetInt64("--timeout", 30, 1, 86_400, Usage));
WaitMode waitMode = arguments.GetWaitMode(Usage);

using var interruption = new Interruption();
if (meetingName is not null)
{
    int maxOrder = (int)arguments.GetInt64("--max-order", XenBusStandardFeatures.RingPageOrder.Limit, 0, XenBusStandardFeatures.RingPageOrder.Limit, Usage);
    PacketOptions packets = PacketOptions.Parse(arguments, Usage, front: false);
    NetDeviceFeatures offers = StoreMode.ParseFeatures(arguments, Usage, maxOrder) with
    {
        GrantModes = packets.GrantModes, ScatterGather = packets.ScatterGather,
        Queues = ConnectionMode.ParseQueues(arguments, Usage, NetDeviceFeatures.DefaultMaxQueues), NumaAffinity = true,
    };
    return await ListenByNameAsync(meetingName, offers, packets);
}

if (storeSocket is not null)
{
    string owner = arguments.GetString("--store-owner") ?? "self";
    if (owner is not ("self" or "external"))
    {
        SampleArguments.Fail(Usage, $"option '--store-owner' must be self or external, not '{owner}'");
    }

    bool hostStore = owner == "self";
    int maxOrder = (int)arguments.GetInt64("--max-order", XenBusStandardFeatures.RingPageOrder.Limit, 0, XenBusStandardFeatures.RingPageOrder.Limit, Usage);
    PacketOptions packets = PacketOptions.Parse(arguments, Usage, front: false);
    NetDeviceFeatures offers = StoreMode.ParseFeatures(arguments, Usage, maxOrder) with { GrantModes = packets.GrantModes, ScatterGather = packets.ScatterGather };
    return await ServeThroughStoreAsync(storeSocket, hostStore, offers, packets);
}

var (host, name) = arguments.ResolveRingFile(file!, Usage);
BackRing<NetifTxRequest, NetifTxResponse> ring;
try
{
    ring = await RingFile.WaitAndAttachAsync<NetifTxRequest, NetifTxResponse>(host, name, timeout);
}
catch (TimeoutException e)
{
    Console.Error.WriteLine($"Rx: {e.Message}");
    return 2;
}
catch (PvRingException e)
{
    Console.Error.WriteLine($"Rx: cannot attach: {e.Message}");
    return 1;
}

// A C# front published its event channel in the sidecar before the ring file; a C front has none and is polled.
EventDomain? domain = null;
EventChannel? channel = null;
bool haveSidecar;
int frontDomainId;
int frontPort;
try
{
    haveSidecar = RingSidecar.TryRead(host, name, out frontDomainId, out frontPort);
}
catch (Exception e) when (e is PvRingException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"Rx: cannot attach: {e.Message}");
    ring.Dispose();
    return 1;
}

if (haveSidecar)
{
    try
    {
        domain = EventDomain.Create(host, BackDomainId);
        channel = domain.BindInterdomain(frontDomainId, frontPort);
    }
    catch (Exception e) when (e is PvRingException or IOException or UnauthorizedAccessException or ArgumentException)
    {
        Console.Error.WriteLine($"Rx: cannot bind the front's event channel ({e.Message}); polling");
        domain?.Dispose();
        domain = null;
    }
}

// The service loop notifies the front only when RING_PUSH_RESPONSES_AND_CHECK_NOTIFY says it armed rsp_event.
ring.Notifier = channel;
using (domain)
using (channel)
using (ring)
{
    Console.WriteLine($"Rx: attached to {host.GetFilePath(name)} ({ring.Size} slots)");
    Console.WriteLine(channel is null ? "Rx: no event channel sidecar: polling" : $"Rx: bound the front's event channel dom{frontDomainId}:{frontPort}");
    return Serve(ring, channel, () => host.Exists(name));
}

// Byte mode: the application API only. The listener hosts the store, claims domains and devices for the fronts; every
// accepted connection moves packets until the count (then, with --count, the program ends) or until its front leaves.
async Task<int> ListenByNameAsync(string meetingName, NetDeviceFeatures offers, PacketOptions packets)
{
    try
    {
        var options = new PvRingListenerOptions { Host = arguments.ResolveHost(Usage), Offers = offers, NegotiationTimeout = timeout };
        await using PvRingListener listener = await PvRingListener.StartAsync(meetingName, options, interruption.Token);
        Console.WriteLine($"Rx: listening as '{meetingName}' in {listener.DirectoryPath}; offering {offers}");
        for (int served = 0; ; served++)
        {
            int code;
            await using (PvRingConnection connection = await listener.AcceptAsync(interruption.Token))
            {
                code = await ConnectionMode.RunAsync("Rx", connection, packets, count ?? long.MaxValue, count is null ? Timeout.InfiniteTimeSpan : timeout, interruption.Token);
            }

            if (count is not null || interruption.Requested)
            {
                return count is null ? 0 : code;
            }

            Console.WriteLine($"Rx: front end {served + 1} done; waiting for the next one (SIGINT/SIGTERM ends)");
        }
    }
    catch (OperationCanceledException) when (interruption.Requested)
    {
        Console.Error.WriteLine("Rx: interrupted");
        return count is null ? 0 : Interruption.ExitCode;
    }
    catch (Exception e) when (RunFailure.IsReported(e))
    {
        return RunFailure.Report("Rx", e);
    }
}

// Store mode: host (or join) the store, then as the toolstack and the back end serve one front end after another
// (only one with --count): introduce its domain, create the device, negotiate, move packets, and release it.
async Task<int> ServeThroughStoreAsync(string socket, bool hostStore, NetDeviceFeatures offers, PacketOptions packets)
{
    HostDirectory memoryHost = arguments.ResolveHost(Usage);

    XenStoreServer? server = null;
    try
    {
        if (hostStore)
        {
            server = XenStoreServer.Start(new XenStoreServerOptions { SocketPath = socket });
            Console.WriteLine($"Rx: hosting the store at {socket}");
        }

        await using XenStoreClient store = await StoreMode.ConnectAsync(socket, domainId: null, timeout, interruption.Token);
        var options = new NetBackendOptions { Offers = offers, Bus = new XenBusOptions { Timeout = timeout } };
        for (int served = 0; ; served++)
        {
            // The toolstack's part, again for every front end: the front's domain exists before its process connects (so
            // the back end waits for it rather than taking it for dead), then fresh device directories.
            await StoreMode.ResetDeviceAsync(store, interruption.Token);
            Console.WriteLine($"Rx: device {StoreMode.Device} created; offering {offers}; waiting for {(served == 0 ? "the" : "the next")} front end");

            // A fresh event domain per front end (workaround): one kept across front ends still sees the dead front's
            // event page (its binding PeerClosed) after the file was removed, and refuses the next front's port.
            using EventDomain events = EventDomain.Create(memoryHost, StoreMode.BackDomainId);
            NetBackend back;
            try
            {
                back = await NetBackend.ConnectAsync(store, StoreMode.Device, memoryHost, events, options, interruption.Token);
            }
            catch (XenBusNegotiationException e) when (count is null)
            {
                // Nobody came within the timeout, a front left half-way or was refused: serving, the device is offered again.
                Console.WriteLine($"Rx: no front end connected ({e.Message}); offering the device again");
                continue;
            }

            int code;
            await using (back)
            {
                code = await ServePacketsAsync(back, packets);
            }

            // Disposed: the rings are unmapped, the channels closed and, if the front's domain is released (its process
            // exited or died), its grant table, arena, event page and flush page removed.
            if (count is not null || interruption.Requested)
            {
                return code;
            }

            Console.WriteLine($"Rx: front end {served + 1} released; serving the next one (SIGINT/SIGTERM ends)");
        }
    }
    catch (OperationCanceledException) when (interruption.Requested)
    {
        Console.Error.WriteLine("Rx: interrupted");
        return count is null ? 0 : Interruption.ExitCode;
    }
    catch (Exception e) when (RunFailure.IsReported(e))
    {
        return RunFailure.Report("Rx", e);
    }
    finally
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}

// One front end's packets: run the pumps until the count, the front leaving, a bad packet or SIGINT/SIGTERM.
async Task<int> ServePacketsAsync(NetBackend back, PacketOptions packets)
{
    NetDeviceFeatures agreed = back.Features;
    Console.WriteLine($"Rx: {StoreMode.Describe(agreed, back.Queue.TransmitRing.Size, back.Queue.ReceiveRing.Size)}");
    if ((packets.Directions & NetDirections.Receive) != 0 && packets.Sizes.Max > agreed.MaxPacketSize)
    {
        Console.Error.WriteLine($"error: packets of up to {packets.Sizes.Max} bytes do not fit the negotiated features (at most {agreed.MaxPacketSize}: feature-sg={(agreed.ScatterGather ? 1 : 0)})");
        await back.FailAsync(new ArgumentException("packet size larger than the negotiated features allow"));
        return SampleArguments.UsageExitCode;
    }

    using var stop = CancellationTokenSource.CreateLinkedTokenSource(interruption.Token);
    StoreMode.StopWhenGone(back.FrontendGone, stop);

    // Serving without a count, a quiet front is not an error: only its leaving (or a signal) ends the session.
    TimeSpan idle = count is null ? Timeout.InfiniteTimeSpan : timeout;
    PacketPump<BackPacketEnd>[] pumps = PacketSession.Run(
        new BackPacketEnd(back.Queue), agreed.SplitEventChannels, packets.Directions, packets.Sizes, count, idle, waitMode, stop);
    PacketSession.Report("Rx", pumps, NetDirections.Receive);
    if (PacketSession.FailureOf(pumps) is Exception failure)
    {
        Console.Error.WriteLine($"Rx: {(failure is InvalidDataException ? "bad packet" : "protocol failure")}, front end refused: {failure.Message}");
        await back.FailAsync(failure);
        return 1;
    }

    if (pumps.All(p => p.Outcome == PumpOutcome.Completed))
    {
        // Our packets are in the front's buffers, maybe not yet read: closing now would end its receive pump early.
        // The front closes once it has them all; wait for that, bounded.
        await Task.WhenAny(back.FrontendGone, Task.Delay(timeout, CancellationToken.None));
        Console.WriteLine($"Rx: done: {count:N0} packets per direction, every one verified by its receiver, once and in order");
        return 0;
    }

    if (interruption.Requested)
    {
        Console.Error.WriteLine("Rx: interrupted");
        return count is null ? 0 : Interruption.ExitCode;
    }

    if (back.FrontendGone.IsCompleted || pumps.Any(p => p.Outcome is PumpOutcome.PeerGone or PumpOutcome.Stopped))
    {
        long moved = pumps.Sum(p => p.Received + p.Sent);
        Console.WriteLine($"Rx: the front end is gone (it closed, or its process died) after {moved:N0} packets{(count is null ? string.Empty : " (before --count)")}");
        return count is null ? 0 : 2;
    }

    Console.Error.WriteLine($"Rx: no progress for {timeout.TotalSeconds:0} s before --count; is PvRing.Tx running with the same --direction?");
    return 2;
}

// Runs the loop with the chosen wait strategy and reports the outcome (the same for both modes).
int Serve(BackRing<NetifTxRequest, NetifTxResponse> ring, EventChannel? channel, Func<bool> frontAlive)
{
    try
    {
        RxResult result = waitMode switch
        {
            WaitMode.Spin => RxLoop.Run(ring, channel, default(BusySpinWait), count, timeout, interruption, frontAlive),
            WaitMode.Yield => RxLoop.Run(ring, channel, new SpinThenYieldWait(), count, timeout, interruption, frontAlive),
            _ => RxLoop.Run(ring, channel, new SpinThenBlockWait(), count, timeout, interruption, frontAlive),
        };
        Console.WriteLine($"Rx: served {result.Served:N0} requests ({result.Outcome})");
        return result.Outcome switch
        {
            RxOutcome.Completed => 0,

            // Without --count the front removing its ring is the normal end; with it, the front left before the count.
            // A front whose process died is never a normal end (the docs' exit code 2).
            RxOutcome.FrontGone when count is null => 0,
            RxOutcome.FrontGone or RxOutcome.FrontDied or RxOutcome.TimedOut => 2,
            _ => Interruption.ExitCode,
        };
    }
    catch (PvRingProtocolException e)
    {
        Console.Error.WriteLine($"Rx: protocol failure, ring abandoned: {e.Message}");
        return 1;
    }
}

internal static partial class Program
{
    private const int BackDomainId = 0;
}
