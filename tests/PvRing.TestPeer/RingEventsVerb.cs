// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Rings;

namespace PvRing.TestPeer;

/// <summary>
/// The back of the ring + event channel tests:
/// <c>ring-events &lt;mode&gt; HOST NAME FRONT_DOMID FRONT_PORT COUNT TIMEOUT_SECONDS</c>. It creates domain 0, binds
/// the front's unbound port, attaches the ring file NAME, sets the channel as the ring's notifier, prints "ready",
/// then plays the mode: <c>serve</c> answers COUNT requests, sleeping on the channel (spin-then-block) whenever the
/// ring runs dry, and prints "done" with its channel counters; <c>serve-block</c> sleeps as soon as the ring is dry
/// (no spin phase, so every dry spell takes the notification path); <c>serve-async</c> does the same with
/// <see cref="RingWaiter.WaitForRequestsAsync{TRequest, TResponse}"/>; <c>hold</c> attaches and stays alive until
/// killed (at most the timeout). A wait that ends without work exits 2; a protocol violation exits 1.
/// </summary>
internal sealed class RingEventsVerb : IPeerVerb
{
    public string Name => "ring-events";

    public int Run(string[] args)
    {
        string mode = args[0];
        var host = new HostDirectory(args[1]);
        string name = args[2];
        int frontDomid = int.Parse(args[3], CultureInfo.InvariantCulture);
        int frontPort = int.Parse(args[4], CultureInfo.InvariantCulture);
        long count = long.Parse(args[5], CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromSeconds(double.Parse(args[6], CultureInfo.InvariantCulture));

        using EventDomain domain = EventDomain.Create(host, 0);
        using EventChannel channel = domain.BindInterdomain(frontDomid, frontPort);
        using BackRing<SequencedRequest, SequencedResponse> ring = RingFile.Attach<SequencedRequest, SequencedResponse>(host, name);
        ring.Notifier = channel;
        Console.WriteLine("ready");
        Console.Out.Flush();
        switch (mode)
        {
            case "serve":
                return Serve(ring, channel, new SpinThenBlockWait(), count, timeout);
            case "serve-block":
                return Serve(ring, channel, default(SpinThenBlockWait), count, timeout);
            case "serve-async":
                return ServeAsync(ring, channel, count, timeout).GetAwaiter().GetResult();
            case "hold":
                // Bounded: a test that forgets to kill us still sees this process end.
                using (var done = new ManualResetEventSlim())
                {
                    done.Wait(timeout);
                }

                return 0;
            default:
                Console.Error.WriteLine($"unknown mode '{mode}'");
                return 64;
        }
    }

    private static int Serve<TWait>(BackRing<SequencedRequest, SequencedResponse> ring, EventChannel channel, TWait strategy, long count, TimeSpan timeout)
        where TWait : struct, IWaitStrategy
    {
        var handler = default(RingEchoHandler);
        long served = 0;
        while (served < count)
        {
            int n = ring.ServeRequests(ref handler, (int)Math.Min(int.MaxValue, count - served));
            served += n;
            if (n == 0)
            {
                EventWaitResult result = ring.WaitForRequests(channel, strategy, timeout, CancellationToken.None);
                if (result != EventWaitResult.Signaled)
                {
                    Console.Error.WriteLine($"ring-events: wait ended with {result} after {served} of {count}; counters {channel.Counters}");
                    return 2;
                }
            }
        }

        Report(channel, served);
        return 0;
    }

    private static async Task<int> ServeAsync(BackRing<SequencedRequest, SequencedResponse> ring, EventChannel channel, long count, TimeSpan timeout)
    {
        var handler = default(RingEchoHandler);
        long served = 0;
        while (served < count)
        {
            int n = ring.ServeRequests(ref handler, (int)Math.Min(int.MaxValue, count - served));
            served += n;
            if (n == 0)
            {
                EventWaitResult result = await ring.WaitForRequestsAsync(channel, timeout, CancellationToken.None).ConfigureAwait(false);
                if (result != EventWaitResult.Signaled)
                {
                    Console.Error.WriteLine($"ring-events: async wait ended with {result} after {served} of {count}; counters {channel.Counters}");
                    return 2;
                }
            }
        }

        Report(channel, served);
        return 0;
    }

    private static void Report(EventChannel channel, long served)
    {
        EventChannelCounters c = channel.Counters;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"done served={served} sent={c.NotificationsSent} coalesced={c.NotificationsCoalesced} blocks={c.Blocks} wakeups={c.WakeUps}"));
        Console.Out.Flush();
    }
}
