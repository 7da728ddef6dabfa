// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing;
using PvRing.Bus;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Samples;
using PvRing.Store;
using PvRing.Transport;
using PvRing.Tx;

// PvRing.Tx: the front. Creates a ring file, pushes netif TX requests, checks every response.
const string Usage = """
    usage: PvRing.Tx --create FILE [--order K] [--count N] [--warmup W] [--timeout SECONDS] [--wait MODE] [--host DIR]
           PvRing.Tx --store SOCKET [--order K] [feature switches] [packet switches] [--grant-mode MODE] [--count N]
                     [--timeout SECONDS] [--wait MODE] [--host DIR]
           PvRing.Tx --name NAME [--queues N] [--order K] [feature switches] [packet switches] [--grant-mode MODE] [--count N]
                     [--timeout SECONDS] [--host DIR]
      --create FILE   ring file to create: a name in the host directory, or a path (its directory is the host); the
                      classic C-compatible ring of 12-byte requests (no packets, no grants)
      --store SOCKET  instead of a ring file: connect to the xenstore-compatible store at SOCKET as domain 1, negotiate
                      device vif/0 with the back end (PvRing.Rx --store), print what was negotiated, then move numbered,
                      checksummed packets through the rings, granted from this process's memory
    """ + ConnectionMode.Usage + """
      --order K       ring size is 2^K pages (0..16 with --create, default 0: one page, 256 netif TX slots);
                      with --store or --name the ring-page-order wanted, 0..4, capped by the back end's maximum
    """ + StoreMode.FeatureUsage + PacketOptions.Usage + """
      --grant-mode M  the grant mode wanted: copy, map, persistent (default), direct, deferred; the back's choice falls
                      back to copy when it does not offer M
      --count N       requests (--create) or packets per direction (--store, --name) to send (default 1000000 and 100000)
      --warmup W      --create only: send W requests first, checked but not timed, so the JIT has optimised the loop (default 0)
      --timeout S     give up after S seconds without progress (default 30)
      --wait MODE     when the ring is dry: block (default: spin, then sleep on the event channel), spin, yield;
                      with a back that has no event channel (the C peer) Tx polls whatever the mode; --name always
                      spins a little, then awaits (the connection's default)
      --host DIR      host directory for a bare FILE name, and of the grant table and arena (default $PVRING_HOST or /dev/shm/pvring-<uid>)
    Exit codes: 0 every response (--create) or packet (--store, --name) came back or arrived once, in order, intact;
    1 protocol or verification failure; 2 the back made no progress for the timeout, or left before the count;
    64 usage (also: a packet size larger than the negotiated features allow); 130 interrupted.
    """;

var arguments = SampleArguments.Parse(args, Usage, ["--create", "--store", "--name", "--queues", "--order", "--count", "--warmup", "--timeout", "--wait", "--host", .. StoreMode.FeatureOptions, .. PacketOptions.Names]);
string? storeSocket = arguments.GetString("--store");
string? file = arguments.GetString("--create");
string? meetingName = arguments.GetString("--name");
if ((file is null ? 0 : 1) + (storeSocket is null ? 0 : 1) + (meetingName is null ? 0 : 1) != 1)
{
    Fail("give exactly one of --create FILE, --store SOCKET and --name NAME");
}

bool packetMode = file is null;

int order = (int)arguments.GetInt64("--order", 0, 0, !packetMode ? SharedRingLayout.MaxOrder : XenBusStandardFeatures.RingPageOrder.Limit, Usage);
long count = arguments.GetInt64("--count", !packetMode ? 1_000_000 : 100_000, 1, long.MaxValue / 2, Usage);
long warmup = arguments.GetInt64("--warmup", 0, 0, long.MaxValue / 2, Usage);
TimeSpan timeout = TimeSpan.FromSeconds(arguments.GetInt64("--timeout", 30, 1, 86_400, Usage));
WaitMode waitMode = arguments.GetWaitMode(Usage);
if (!packetMode && StoreMode.FeatureOptions.Concat(PacketOptions.Names).Any(o => arguments.GetString(o) is not null))
{
    Fail("the feature and packet switches need --store or --name: a ring file from --create is always classic, for C peers");
}

if (packetMode && arguments.GetString("--warmup") is not null)
{
    Fail("--warmup is for --create: with packets the loops are compiled fully optimised from the start");
}

if (meetingName is not null && arguments.GetString("--wait") is not null)
{
    Fail("--wait is not for --name: a connection spins a little, then awaits");
}

if (meetingName is null && arguments.GetString("--queues") is not null)
{
    Fail("--queues is for --name: multiqueue comes with the application API");
}

using var interruption = new Interruption();
if (meetingName is not null)
{
    PacketOptions packets = PacketOptions.Parse(arguments, Usage, front: true);
    NetDeviceFeatures wants = StoreMode.ParseFeatures(arguments, Usage, order) with
    {
        GrantModes = packets.GrantModes, ScatterGather = packets.ScatterGather, Queues = ConnectionMode.ParseQueues(arguments, Usage, 1), NumaAffinity = true,
    };
    return await RunByNameAsync(meetingName, wants, packets);
}

if (storeSocket is not null)
{
    PacketOptions packets = PacketOptions.Parse(arguments, Usage, front: true);
    NetDeviceFeatures wants = StoreMode.ParseFeatures(arguments, Usage, order) with { GrantModes = packets.GrantModes, ScatterGather = packets.ScatterGather };
    return await RunThroughStoreAsync(storeSocket, wants, packets);
}

var (host, name) = arguments.ResolveRingFile(file!, Usage);

// The front is domain 1: it allocates a port for the back (domain 0) and publishes it in the ring file sidecar
// before the ring file itself, so a back that finds the ring also finds the sidecar (docs/protocol-events.md).
EventDomain? domain = null;
EventChannel? channel = null;
bool sidecar = false;
try
{
    domain = EventDomain.Create(host, FrontDomainId);
    channel = domain.AllocateUnbound(BackDomainId);

    // EventDomain.Create refuses a live domain 1 and replaces a dead one's page: a ring whose sidecar names domain 1 is
    // then a killed front's, and would block every new front. Remove it (a C front's ring has no sidecar: left alone).
    if (host.Exists(name) && RingSidecar.TryRead(host, name, out int staleFront, out _) && staleFront == FrontDomainId)
    {
        host.Delete(name);
        RingSidecar.Delete(host, name);
        Console.WriteLine($"Tx: removed {host.GetFilePath(name)} and its sidecar, left by a front (domain {FrontDomainId}) whose process is gone");
    }

    sidecar = RingSidecar.TryPublish(host, name, FrontDomainId, channel.Port);
}
catch (Exception e) when (e is PvRingException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"Tx: no event channel ({e.Message}); polling");
    channel?.Dispose();
    domain?.Dispose();
    channel = null;
    domain = null;
}

FrontRing<NetifTxRequest, NetifTxResponse> ring;
try
{
    ring = RingFile.Create<NetifTxRequest, NetifTxResponse>(host, name, RingVariant.Classic(order));
}
catch (PvRingException e)
{
    Console.Error.WriteLine($"Tx: {e.Message}");
    if (sidecar)
    {
        RingSidecar.Delete(host, name);
    }

    channel?.Dispose();
    domain?.Dispose();
    return 1;
}

// The batch scopes notify the back only when RING_PUSH_REQUESTS_AND_CHECK_NOTIFY says it armed req_event.
ring.Notifier = channel;

try
{
    Console.WriteLine($"Tx: created {host.GetFilePath(name)} (order {order}, {ring.Size} slots); sending {count:N0} requests{WarmupNote()}");
    return Send(ring, channel);
}
catch (PvRingProtocolException e)
{
    Console.Error.WriteLine($"Tx: protocol failure: {e.Message}");
    return 1;
}
finally
{
    // Files first, then the channel: a back serving without a count sees the ring gone when its channel closes.
    ring.Dispose();
    host.Delete(name);
    if (sidecar)
    {
        RingSidecar.Delete(host, name);
    }

    channel?.Dispose();
    domain?.Dispose();
}

// Store mode: negotiate the device with PvRing.Rx through the store, then move packets on the rings --direction names.
async Task<int> RunThroughStoreAsync(string socket, NetDeviceFeatures wants, PacketOptions packets)
{
    HostDirectory memoryHost = arguments.ResolveHost(Usage);

    try
    {
        // The event domain first: it refuses while a live process is domain 1, and replaces a dead one's page. Once it
        // stands, any grant table, arena or flush page of domain 1 is a dead front's (both ends killed, so no back
        // cleaned up after it), and would block this one: remove them.
        using EventDomain events = EventDomain.Create(memoryHost, StoreMode.FrontDomainId);
        int stale = GrantDomain.RemoveFiles(memoryHost, StoreMode.FrontDomainId)
            + (DeferredUnmapFrontend.RemoveFile(memoryHost, StoreMode.FrontDomainId, StoreMode.BackDomainId) ? 1 : 0);
        if (stale > 0)
        {
            Console.WriteLine($"Tx: removed {stale} file(s) a front (domain {StoreMode.FrontDomainId}) whose process is gone left in {memoryHost.Path}");
        }

        // Both rings and one buffer frame per slot, granted from this domain's memory.
        using GrantDomain grants = GrantDomain.Create(memoryHost, StoreMode.FrontDomainId, NetFrontend.DomainOptionsFor(wants));
        await using XenStoreClient store = await StoreMode.ConnectAsync(socket, StoreMode.FrontDomainId, timeout, interruption.Token);
        var options = new NetFrontendOptions { Wants = wants, Bus = new XenBusOptions { Timeout = timeout } };
        Console.WriteLine($"Tx: connected to the store at {socket} as domain {StoreMode.FrontDomainId}; wants {wants}");
        await using NetFrontend front = await NetFrontend.ConnectAsync(store, StoreMode.Device, grants, events, options, interruption.Token);
        Console.WriteLine($"Tx: {StoreMode.Describe(front.Features, front.Queue.TransmitRing.Size, front.Queue.ReceiveRing.Size)}");
        if ((packets.Directions & NetDirections.Transmit) != 0 && packets.Sizes.Max > front.Features.MaxPacketSize)
        {
            Console.Error.WriteLine($"error: packets of up to {packets.Sizes.Max} bytes do not fit the negotiated features (at most {front.Features.MaxPacketSize}: feature-sg={(front.Features.ScatterGather ? 1 : 0)})");
            return SampleArguments.UsageExitCode;
        }

        Console.WriteLine($"Tx: {DescribeJob(packets)}");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interruption.Token);
        StoreMode.StopWhenGone(front.BackendGone, stop);
        PacketPump<FrontPacketEnd>[] pumps = PacketSession.Run(
            new FrontPacketEnd(front.Queue), front.Features.SplitEventChannels, packets.Directions, packets.Sizes, count, timeout, waitMode, stop);
        PacketSession.Report("Tx", pumps, NetDirections.Transmit);
        if (PacketSession.FailureOf(pumps) is Exception failure)
        {
            Console.Error.WriteLine($"Tx: {(failure is InvalidDataException ? "bad packet" : "protocol failure")}: {failure.Message}");
            await front.FailAsync(failure);
            return 1;
        }

        if (pumps.All(p => p.Outcome == PumpOutcome.Completed))
        {
            Console.WriteLine($"Tx: done: {count:N0} packets per direction, every one verified by its receiver, once and in order");
            return 0;
        }

        if (interruption.Requested)
        {
            Console.Error.WriteLine("Tx: interrupted");
            return Interruption.ExitCode;
        }

        Console.Error.WriteLine(front.BackendGone.IsCompleted || pumps.Any(p => p.Outcome == PumpOutcome.PeerGone)
            ? "Tx: the back end left (or its process died) before the count"
            : $"Tx: no progress for {timeout.TotalSeconds:0} s; is PvRing.Rx running with the same --direction?");
        return 2;
    }
    catch (OperationCanceledException) when (interruption.Requested)
    {
        Console.Error.WriteLine("Tx: interrupted while connecting");
        return Interruption.ExitCode;
    }
    catch (Exception e) when (RunFailure.IsReported(e))
    {
        return RunFailure.Report("Tx", e);
    }
}

// Byte mode: the application API only; the listener (PvRing.Rx --name) hosts the store and does the toolstack's part.
async Task<int> RunByNameAsync(string meetingName, NetDeviceFeatures wants, PacketOptions packets)
{
    try
    {
        var options = new PvRingConnectionOptions
        {
            Host = arguments.ResolveHost(Usage),
            Wants = wants,
            ConnectTimeout = timeout,
            QueuePlacement = wants.Queues > 1 ? PvRingQueuePlacement.Spread : PvRingQueuePlacement.None,
        };
        await using PvRingConnection connection = await PvRingConnection.ConnectAsync(meetingName, options, interruption.Token);
        Console.WriteLine($"Tx: {DescribeJob(packets)}");
        return await ConnectionMode.RunAsync("Tx", connection, packets, count, timeout, interruption.Token);
    }
    catch (OperationCanceledException) when (interruption.Requested)
    {
        Console.Error.WriteLine("Tx: interrupted while connecting");
        return Interruption.ExitCode;
    }
    catch (Exception e) when (RunFailure.IsReported(e))
    {
        return RunFailure.Report("Tx", e);
    }
}

string DescribeJob(PacketOptions packets) => packets.Directions switch
{
    NetDirections.Transmit => $"sending {count:N0} packets of {packets.Sizes} on the tx ring",
    NetDirections.Receive => $"receiving {count:N0} packets on the rx ring",
    _ => $"sending {count:N0} packets of {packets.Sizes} on the tx ring and receiving {count:N0} on the rx ring",
};

string WarmupNote() => warmup > 0 ? $" after {warmup:N0} warm-up requests" : string.Empty;

// Runs the loop with the chosen wait strategy and reports the outcome (the same for both modes).
int Send(FrontRing<NetifTxRequest, NetifTxResponse> ring, EventChannel? channel)
{
    TxResult result = waitMode switch
    {
        WaitMode.Spin => TxLoop.Run(ring, channel, default(BusySpinWait), count, warmup, timeout, interruption),
        WaitMode.Yield => TxLoop.Run(ring, channel, new SpinThenYieldWait(), count, warmup, timeout, interruption),
        _ => TxLoop.Run(ring, channel, new SpinThenBlockWait(), count, warmup, timeout, interruption),
    };
    switch (result.Outcome)
    {
        case TxOutcome.Completed:
            double rate = count / result.Elapsed.TotalSeconds;
            Console.WriteLine($"Tx: {count:N0} requests answered once, in order, OKAY in {result.Elapsed.TotalSeconds:0.000} s: {rate:N0} requests/s");
            Console.WriteLine($"result: requests={count} seconds={result.Elapsed.TotalSeconds:0.000000} requests_per_second={rate:0}");
            return 0;
        case TxOutcome.BackGone:
            Console.Error.WriteLine($"Tx: the back's process is gone after {result.Received:N0} of {count + warmup:N0} responses");
            return 2;
        case TxOutcome.TimedOut:
            Console.Error.WriteLine($"Tx: no response for {timeout.TotalSeconds:0} s after {result.Received:N0} of {count + warmup:N0}; is PvRing.Rx running?");
            return 2;
        default:
            Console.Error.WriteLine($"Tx: interrupted after {result.Received:N0} of {count + warmup:N0} responses");
            return Interruption.ExitCode;
    }
}

static string Fail(string message)
{
    SampleArguments.Fail(Usage, message);
    return string.Empty;
}

internal static partial class Program
{
    private const int FrontDomainId = 1;
    private const int BackDomainId = 0;
}
