// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing;
using PvRing.Events;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Samples;
using PvRing.Tx;

// PvRing.Tx: the front. Creates a ring file, pushes netif TX requests, checks every response.
const string Usage = """
    usage: PvRing.Tx --create FILE [--order K] [--count N] [--warmup W] [--timeout SECONDS] [--wait MODE] [--host DIR]
      --create FILE   ring file to create: a name in the host directory, or a path (its directory is the host)
      --order K       ring size is 2^K pages (0..16, default 0: one page, 256 netif TX slots)
      --count N       requests to send and time (default 1000000)
      --warmup W      send W requests first, checked but not timed, so the JIT has optimised the loop (default 0)
      --timeout S     give up after S seconds without progress (default 30)
      --wait MODE     when the ring is dry: block (default: spin, then sleep on the event channel), spin, yield;
                      with a back that has no event channel (the C peer) Tx polls whatever the mode
      --host DIR      host directory for a bare FILE name (default $PVRING_HOST or /dev/shm/pvring-<uid>)
    Exit codes: 0 every response came back once, in order, OKAY; 1 protocol or verification failure;
    2 the back made no progress for the timeout; 64 usage; 130 interrupted.
    """;

var arguments = SampleArguments.Parse(args, Usage, "--create", "--order", "--count", "--warmup", "--timeout", "--wait", "--host");
string file = arguments.GetString("--create") ?? Fail("--create FILE is required");
int order = (int)arguments.GetInt64("--order", 0, 0, SharedRingLayout.MaxOrder, Usage);
long count = arguments.GetInt64("--count", 1_000_000, 1, long.MaxValue / 2, Usage);
long warmup = arguments.GetInt64("--warmup", 0, 0, long.MaxValue / 2, Usage);
TimeSpan timeout = TimeSpan.FromSeconds(arguments.GetInt64("--timeout", 30, 1, 86_400, Usage));
WaitMode waitMode = arguments.GetWaitMode(Usage);
var (host, name) = arguments.ResolveRingFile(file, Usage);

using var interruption = new Interruption();

// The front is domain 1: it allocates a port for the back (domain 0) and publishes it in the ring file sidecar
// before the ring file itself, so a back that finds the ring also finds the sidecar (docs/protocol-events.md).
EventDomain? domain = null;
EventChannel? channel = null;
bool sidecar = false;
try
{
    domain = EventDomain.Create(host, FrontDomainId);
    channel = domain.AllocateUnbound(BackDomainId);
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
    ring = RingFile.Create<NetifTxRequest, NetifTxResponse>(host, name, order);
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
    string warmupNote = warmup > 0 ? $" after {warmup:N0} warm-up requests" : string.Empty;
    Console.WriteLine($"Tx: created {host.GetFilePath(name)} (order {order}, {ring.Size} slots); sending {count:N0} requests{warmupNote}");
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

static string Fail(string message)
{
    SampleArguments.Fail(Usage, message);
    return string.Empty;
}

internal static partial class Program
{
    private const ushort FrontDomainId = 1;
    private const ushort BackDomainId = 0;
}
