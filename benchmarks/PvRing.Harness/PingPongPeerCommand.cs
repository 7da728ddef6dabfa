// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.Net.Sockets;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Platform;

namespace PvRing.Harness;

/// <summary>The second process of <c>pingpong</c> (started by it): answers each mode's round trips in the same order.</summary>
internal sealed class PingPongPeerCommand : IHarnessCommand
{
    public string Name => "pingpong-peer";

    public string Summary => "(internal) the far side of pingpong";

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
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        PeerProcess.SignalReady();

        byte[] buffer = new byte[1];
        TimeSpan limit = TimeSpan.FromSeconds(30);
        for (int rep = -1; rep < reps; rep++)
        {
            for (int i = 0; i < rounds; i++)
            {
                Expect(blocking.Wait(new SpinThenBlockWait(), limit, CancellationToken.None));
                blocking.Notify();
            }

            for (int i = 0; i < rounds; i++)
            {
                Expect(spinning.Wait(default(BusySpinWait), limit, CancellationToken.None));
                spinning.Notify();
            }

            for (int i = 0; i < rounds; i++)
            {
                socket.Receive(buffer);
                socket.Send(buffer);
            }
        }

        // The idle phase: one wait per mode while the parent measures this process's CPU time.
        Expect(blocking.Wait(new SpinThenBlockWait(), limit, CancellationToken.None));
        Expect(spinning.Wait(default(BusySpinWait), limit, CancellationToken.None));
        socket.Receive(buffer);
        return 0;
    }

    private static void Expect(EventWaitResult result)
    {
        if (result != EventWaitResult.Signaled)
        {
            throw new InvalidOperationException($"A round trip ended with {result}.");
        }
    }
}
