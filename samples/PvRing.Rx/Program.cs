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
           PvRing.Rx --store SOCKET [--store-owner self|external] [--max-order K] [feature switches] [--count N] [--timeout SECONDS] [--wait MODE] [--host DIR]
      --attach FILE   ring file to serve: a name in the host directory, or a path; waits for it to appear
      --store SOCKET  instead of a ring file: host a xenstore-compatible store at SOCKET (0600; put it in a 0700
                      directory), create device vif/0 as the toolstack, offer the features below as the back end (domain 0),
                      map the rings the front end (PvRing.Tx --store) grants, and print what was negotiated
      --store-owner W self (default): this process hosts the store; external: connect to a store already there
                      (for example `pvring store --socket SOCKET`)
      --max-order K   with --store: the max-ring-page-order offered, 0..4 (default 4)
    """ + StoreMode.FeatureUsage + """
      --count N       exit 0 after N requests (default: serve until SIGINT/SIGTERM or until the front removes the file)
      --timeout S     give up after S seconds waiting for the file, or without progress when --count is given (default 30)
      --wait MODE     when the ring is dry: block (default: spin, then sleep on the event channel), spin, yield;
                      a front without the FILE.evtchn sidecar (the C peer) is polled whatever the mode
      --host DIR      host directory for a bare FILE name (default $PVRING_HOST or /dev/shm/pvring-<uid>)
    The order is inferred from the file size. Each request is copied out of the ring, validated, and answered
    with its id and NETIF_RSP_OKAY. Exit codes: 0 done; 1 protocol failure; 2 timeout, or the front went away before --count requests; 64 usage; 130 interrupted.
    """;

var arguments = SampleArguments.Parse(args, Usage, ["--attach", "--store", "--store-owner", "--max-order", "--count", "--timeout", "--wait", "--host", .. StoreMode.FeatureOptions]);
string? file = arguments.GetString("--attach");
string? storeSocket = arguments.GetString("--store");
if ((file is null) == (storeSocket is null))
{
    SampleArguments.Fail(Usage, "give exactly one of --attach FILE and --store SOCKET");
    return SampleArguments.UsageExitCode;
}

if (storeSocket is null && (arguments.GetString("--store-owner") is not null || arguments.GetString("--max-order") is not null || StoreMode.FeatureOptions.Any(o => arguments.GetString(o) is not null)))
{
    SampleArguments.Fail(Usage, "--store-owner, --max-order and the feature switches need --store: a ring file is always classic, for C peers");
    return SampleArguments.UsageExitCode;
}

long? count = arguments.GetString("--count") is null ? null : arguments.GetInt64("--count", 0, 1, long.MaxValue, Usage);
TimeSpan timeout = TimeSpan.FromSeconds(arguments.GetInt64("--timeout", 30, 1, 86_400, Usage));
WaitMode waitMode = arguments.GetWaitMode(Usage);

using var interruption = new Interruption();
if (storeSocket is not null)
{
    string owner = arguments.GetString("--store-owner") ?? "self";
    if (owner is not ("self" or "external"))
    {
        SampleArguments.Fail(Usage, $"option '--store-owner' must be self or external, not '{owner}'");
    }

    bool hostStore = owner == "self";
    int maxOrder = (int)arguments.GetInt64("--max-order", XenBusFeatures.RingPageOrder.Limit, 0, XenBusFeatures.RingPageOrder.Limit, Usage);
    return await ServeThroughStoreAsync(storeSocket, hostStore, StoreMode.ParseFeatures(arguments, Usage, maxOrder));
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
if (RingSidecar.TryRead(host, name, out ushort frontDomainId, out int frontPort))
{
    try
    {
        domain = EventDomain.Create(host, BackDomainId);
        channel = domain.BindInterdomain(frontDomainId, frontPort);
    }
    catch (Exception e) when (e is PvRingException or IOException or UnauthorizedAccessException)
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

// Store mode: host (or join) the store, create the device, negotiate as the back end, serve the transmit ring.
async Task<int> ServeThroughStoreAsync(string socket, bool hostStore, NetDeviceFeatures offers)
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
        // The toolstack's part: the front's domain exists before its process connects (so the back end waits for it
        // rather than taking it for dead), then the device directories.
        await store.IntroduceDomainAsync(StoreMode.FrontDomainId, interruption.Token);
        await StoreMode.Device.CreateAsync(store, interruption.Token);
        using EventDomain events = EventDomain.Create(memoryHost, StoreMode.BackDomainId);
        Console.WriteLine($"Rx: device {StoreMode.Device} created; offering {offers}; waiting for the front end");
        var options = new NetBackendOptions { Offers = offers, Bus = new XenBusOptions { Timeout = timeout } };
        await using NetBackend back = await NetBackend.ConnectAsync(store, StoreMode.Device, memoryHost, events, options, interruption.Token);
        Console.WriteLine($"Rx: {StoreMode.Describe(back.Features, back.Queue.TransmitRing.Size, back.Queue.ReceiveRing.Size)}");
        return Serve(back.Queue.TransmitRing, back.Queue.TransmitChannel, () => !back.FrontendGone.IsCompleted);
    }
    catch (TimeoutException e)
    {
        Console.Error.WriteLine($"Rx: {e.Message}");
        return 2;
    }
    catch (XenBusNegotiationException e)
    {
        Console.Error.WriteLine($"Rx: negotiation failed: {e.Message}");
        return e.InnerException is PvRingProtocolException ? 1 : 2;
    }
    catch (OperationCanceledException) when (interruption.Requested)
    {
        Console.Error.WriteLine("Rx: interrupted while connecting");
        return Interruption.ExitCode;
    }
    catch (PvRingException e)
    {
        Console.Error.WriteLine($"Rx: {e.Message}");
        return 1;
    }
    finally
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
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

            // Without --count the front leaving is the normal end; with it, the front left before the count.
            RxOutcome.FrontGone when count is null => 0,
            RxOutcome.FrontGone or RxOutcome.TimedOut => 2,
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
    private const ushort BackDomainId = 0;
}
