// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.Net.Sockets;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Platform;
using PvRing.Rings;

namespace PvRing.Harness;

/// <summary>The back of <c>ringpingpong</c> (started by it): answers each mode's round trips in the same order.</summary>
internal sealed class RingPingPongPeerCommand : IHarnessCommand
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(30);

    public string Name => "ringpingpong-peer";

    public string Summary => "(internal) the back of ringpingpong";

    public int Run(string[] args)
    {
        var host = new HostDirectory(args[0]);
        int blockingPort = int.Parse(args[1], CultureInfo.InvariantCulture);
        int spinningPort = int.Parse(args[2], CultureInfo.InvariantCulture);
        string socketPath = args[3];
        int cpu = int.Parse(args[4], CultureInfo.InvariantCulture);
        int rounds = int.Parse(args[5], CultureInfo.InvariantCulture);
        int reps = int.Parse(args[6], CultureInfo.InvariantCulture);

        CpuAffinity.PinCurrentThread(cpu);
        using EventDomain domain = EventDomain.Create(host, 2);
        using EventChannel blocking = domain.BindInterdomain(1, blockingPort);
        using EventChannel spinning = domain.BindInterdomain(1, spinningPort);
        using BackRing<ulong, ulong> blockingRing = RingFile.Attach<ulong, ulong>(host, "ring-block");
        using BackRing<ulong, ulong> spinningRing = RingFile.Attach<ulong, ulong>(host, "ring-spin");
        blockingRing.Notifier = blocking;
        spinningRing.Notifier = spinning;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        PeerProcess.SignalReady();

        byte[] buffer = new byte[1];
        for (int rep = -1; rep < reps; rep++)
        {
            Serve(blockingRing, blocking, new SpinThenBlockWait(), rounds);
            Serve(spinningRing, spinning, default(BusySpinWait), rounds);
            for (int i = 0; i < rounds; i++)
            {
                socket.Receive(buffer);
                socket.Send(buffer);
            }
        }

        // The idle phase: one wait per mode while the parent measures this process's CPU time.
        Serve(blockingRing, blocking, new SpinThenBlockWait(), 1);
        Serve(spinningRing, spinning, default(BusySpinWait), 1);
        socket.Receive(buffer);
        Console.WriteLine($"spin-then-block {blocking.Counters}; busy-spin {spinning.Counters}");
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
                RingWaitResult result = ring.WaitForRequests(channel, strategy, s_limit, CancellationToken.None);
                if (result != RingWaitResult.WorkAvailable)
                {
                    throw new InvalidOperationException($"The back's wait ended with {result} after {served} of {count}.");
                }
            }
        }
    }
}
