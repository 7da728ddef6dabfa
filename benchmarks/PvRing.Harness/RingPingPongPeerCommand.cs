// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.Net.Sockets;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Platform;
using PvRing.Rings;

namespace PvRing.Harness;

/// <summary>
/// The back of <see cref="RingRoundTripSession"/> (<c>ringpingpong</c>, <c>pingpong</c>, the matrix): answers each of the
/// session's modes' round trips in the session's order.
/// </summary>
internal sealed class RingPingPongPeerCommand : IHarnessCommand
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(30);

    public string Name => "ringpingpong-peer";

    public string Summary => "(internal) the back of ringpingpong";

    public int Run(string[] args)
    {
        var host = new HostDirectory(args[0]);
        int[] ports = [.. args[1].Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture))];
        string socketPath = args[2];
        int cpu = int.Parse(args[3], CultureInfo.InvariantCulture);
        int rounds = int.Parse(args[4], CultureInfo.InvariantCulture);
        int reps = int.Parse(args[5], CultureInfo.InvariantCulture);
        int[] modes = [.. args[6].Split(',').Select(m => int.Parse(m, CultureInfo.InvariantCulture))];

        CpuAffinity.PinCurrentThread(cpu);
        using EventDomain domain = EventDomain.Create(host, 2);
        using EventChannel blocking = domain.BindInterdomain(1, ports[0]);
        using EventChannel spinning = domain.BindInterdomain(1, ports[1]);
        using EventChannel eventBlocking = domain.BindInterdomain(1, ports[2]);
        using EventChannel eventSpinning = domain.BindInterdomain(1, ports[3]);
        using BackRing<ulong, ulong> blockingRing = RingFile.Attach<ulong, ulong>(host, "ring-block");
        using BackRing<ulong, ulong> spinningRing = RingFile.Attach<ulong, ulong>(host, "ring-spin");
        blockingRing.Notifier = blocking;
        spinningRing.Notifier = spinning;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        PeerProcess.SignalReady();

        byte[] buffer = new byte[1];
        void Answer(int mode, int count)
        {
            for (int i = 0; mode is 2 or 3 or 4 && i < count; i++)
            {
                switch (mode)
                {
                    case 2:
                        socket.Receive(buffer);
                        socket.Send(buffer);
                        break;
                    case 3:
                        RingRoundTripSession.ExpectSignaled(eventBlocking.Wait(new SpinThenBlockWait(), s_limit, CancellationToken.None));
                        eventBlocking.Notify();
                        break;
                    default:
                        RingRoundTripSession.ExpectSignaled(eventSpinning.Wait(default(BusySpinWait), s_limit, CancellationToken.None));
                        eventSpinning.Notify();
                        break;
                }
            }

            if (mode == 0)
            {
                Serve(blockingRing, blocking, new SpinThenBlockWait(), count);
            }
            else if (mode == 1)
            {
                Serve(spinningRing, spinning, default(BusySpinWait), count);
            }
        }

        for (int rep = -1; rep < reps; rep++)
        {
            foreach (int mode in modes)
            {
                Answer(mode, rounds);
            }
        }

        // The idle phase: one wait per mode while the parent measures this process's CPU time (the socket's goes unanswered).
        foreach (int mode in modes)
        {
            if (mode == 2)
            {
                socket.Receive(buffer);
            }
            else
            {
                Answer(mode, 1);
            }
        }

        Console.WriteLine($"ring spin-then-block {blocking.Counters}; ring busy-spin {spinning.Counters}; spin-then-block {eventBlocking.Counters}; busy-spin {eventSpinning.Counters}");
        Console.Out.Flush();
        return 0;
    }

    private static void Serve<TWait>(BackRing<ulong, ulong> ring, EventChannel channel, TWait strategy, int count)
        where TWait : struct, IWaitStrategy
    {
        var handler = default(RingPingPongComplement);
        int served = 0;
        while (served < count)
        {
            int n = ring.ServeRequests(ref handler, count - served);
            served += n;
            if (n == 0)
            {
                EventWaitResult result = ring.WaitForRequests(channel, strategy, s_limit, CancellationToken.None);
                if (result != EventWaitResult.Signaled)
                {
                    throw new InvalidOperationException($"The back's wait ended with {result} after {served} of {count}.");
                }
            }
        }
    }
}
