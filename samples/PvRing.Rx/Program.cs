// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing;
using PvRing.Events;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Rx;
using PvRing.Samples;

// PvRing.Rx: the back. Attaches to a ring file a front created and answers every request.
const string Usage = """
    usage: PvRing.Rx --attach FILE [--count N] [--timeout SECONDS] [--wait MODE] [--host DIR]
      --attach FILE   ring file to serve: a name in the host directory, or a path; waits for it to appear
      --count N       exit 0 after N requests (default: serve until SIGINT/SIGTERM or until the front removes the file)
      --timeout S     give up after S seconds waiting for the file, or without progress when --count is given (default 30)
      --wait MODE     when the ring is dry: block (default: spin, then sleep on the event channel), spin, yield;
                      a front without the FILE.evtchn sidecar (the C peer) is polled whatever the mode
      --host DIR      host directory for a bare FILE name (default $PVRING_HOST or /dev/shm/pvring-<uid>)
    The order is inferred from the file size. Each request is copied out of the ring, validated, and answered
    with its id and NETIF_RSP_OKAY. Exit codes: 0 done; 1 protocol failure; 2 timeout, or the front went away before --count requests; 64 usage; 130 interrupted.
    """;

var arguments = SampleArguments.Parse(args, Usage, "--attach", "--count", "--timeout", "--wait", "--host");
string? file = arguments.GetString("--attach");
if (file is null)
{
    SampleArguments.Fail(Usage, "--attach FILE is required");
    return SampleArguments.UsageExitCode;
}

long? count = arguments.GetString("--count") is null ? null : arguments.GetInt64("--count", 0, 1, long.MaxValue, Usage);
TimeSpan timeout = TimeSpan.FromSeconds(arguments.GetInt64("--timeout", 30, 1, 86_400, Usage));
WaitMode waitMode = arguments.GetWaitMode(Usage);
var (host, name) = arguments.ResolveRingFile(file, Usage);

using var interruption = new Interruption();
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
    try
    {
        Func<bool> frontAlive = () => host.Exists(name);
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
