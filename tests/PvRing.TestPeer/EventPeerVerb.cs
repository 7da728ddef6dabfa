// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;
using PvRing.Memory;

namespace PvRing.TestPeer;

/// <summary>
/// The far end of the cross-process event channel tests:
/// <c>event &lt;mode&gt; &lt;hostDir&gt; &lt;myDomid&gt; &lt;peerDomid&gt; &lt;peerPort&gt; [count] [seed]</c>.
/// It creates its domain, binds the test's unbound port, prints "ready", then plays the mode:
/// <c>pong</c> answers <c>count</c> notifications with random delays; <c>idle</c> sleeps in one wait, answers once, and exits after one more notification (the acknowledgement);
/// <c>burst</c> sends <c>count</c> notifications, prints "sent", then waits for one; <c>hold</c> just stays alive
/// (until killed, at most 60 s).
/// </summary>
internal sealed class EventPeerVerb : IPeerVerb
{
    private static readonly TimeSpan s_waitLimit = TimeSpan.FromSeconds(20);

    public string Name => "event";

    public int Run(string[] args)
    {
        string mode = args[0];
        var host = new HostDirectory(args[1]);
        int myDomid = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        int peerDomid = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
        int peerPort = int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
        int count = args.Length > 5 ? int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture) : 1;
        int seed = args.Length > 6 ? int.Parse(args[6], System.Globalization.CultureInfo.InvariantCulture) : 1;

        using EventDomain domain = EventDomain.Create(host, myDomid);
        using EventChannel channel = domain.BindInterdomain(peerDomid, peerPort);
        Console.WriteLine("ready");
        Console.Out.Flush();
        switch (mode)
        {
            case "pong":
                var random = new Random(seed);
                for (int i = 0; i < count; i++)
                {
                    EventWaitResult result = channel.Wait(s_waitLimit);
                    if (result != EventWaitResult.Signaled)
                    {
                        Console.Error.WriteLine($"pong: wait {i} ended with {result}; counters {channel.Counters}");
                        return 2;
                    }

                    StressWorkload.RandomDelay(random);
                    channel.Notify();
                }

                Console.WriteLine($"done {channel.Counters}");
                return 0;
            case "idle":
                EventWaitResult idle = channel.Wait(s_waitLimit);
                channel.Notify();
                Console.WriteLine($"woke {idle} {channel.Counters}");
                Console.Out.Flush();

                // Stay bound until the test has taken our answer: closing at once could merge the answer into the
                // close's wake-up (one pending bit), and the test would see ChannelClosed instead of our event.
                EventWaitResult acknowledged = channel.Wait(s_waitLimit);
                return idle == EventWaitResult.Signaled && acknowledged == EventWaitResult.Signaled ? 0 : 2;
            case "burst":
                for (int i = 0; i < count; i++)
                {
                    channel.Notify();
                }

                Console.WriteLine($"sent {channel.Counters.NotificationsSent} {channel.Counters.NotificationsCoalesced}");
                Console.Out.Flush();
                return channel.Wait(s_waitLimit) == EventWaitResult.Signaled ? 0 : 2;
            case "hold":
                Thread.Sleep(TimeSpan.FromSeconds(60));
                return 0;
            default:
                Console.Error.WriteLine($"unknown mode '{mode}'");
                return 64;
        }
    }
}
