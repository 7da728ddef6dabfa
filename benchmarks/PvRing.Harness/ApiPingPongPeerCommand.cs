// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.Net.Sockets;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Rings;
using PvRing.Transport;

namespace PvRing.Harness;

/// <summary>
/// <c>apipingpong-peer api HOST NAME all|none[-noinline]</c>, <c>apipingpong-peer ring HOST NAME PORT</c>, <c>apipingpong-peer netif HOST NAME PORT VARIANT</c> or <c>apipingpong-peer socket PATH</c>:
/// connects and echoes every packet (api), answers every request with its complement (ring), echoes every packet on bare
/// netif rings (netif, <see cref="NetifFloor"/>) or echoes every 64 bytes (socket) until the other side closes.
/// </summary>
internal sealed class ApiPingPongPeerCommand : IHarnessCommand
{
    public string Name => "apipingpong-peer";

    public string Summary => "(internal) the echo side of apipingpong";

    public int Run(string[] args) => args[0] switch
    {
        "api" => EchoApiAsync(new HostDirectory(args[1]), args[2], args[3]).GetAwaiter().GetResult(),
        "ring" => ServeRing(new HostDirectory(args[1]), args[2], int.Parse(args[3], CultureInfo.InvariantCulture)),
        "netif" => ServeNetif(new HostDirectory(args[1]), args[2], int.Parse(args[3], CultureInfo.InvariantCulture), (NetifVariant)int.Parse(args[4], CultureInfo.InvariantCulture), ApiPingPongCommand.RingFeaturesOf(args[5])),
        _ => EchoSocketAsync(args[1]).GetAwaiter().GetResult(),
    };

    /// <summary>The back of the ring case: serves requests with spin-then-block waits until the front closes its channel.</summary>
    private static int ServeRing(HostDirectory host, string name, int port)
    {
        using EventDomain domain = EventDomain.Create(host, 2);
        using EventChannel channel = domain.BindInterdomain(1, port);
        using BackRing<ulong, ulong> ring = RingFile.Attach<ulong, ulong>(host, name);
        ring.Notifier = channel;
        var handler = default(RingPingPongComplement);
        while (true)
        {
            if (ring.ServeRequests(ref handler, int.MaxValue) == 0
                && ring.WaitForRequests(channel, new SpinThenBlockWait(), TimeSpan.FromSeconds(30), CancellationToken.None) != EventWaitResult.Signaled)
            {
                return 0;
            }
        }
    }

    /// <summary>The back of the netif case (<see cref="NetifFloor.Serve"/>) until the front closes its channel.</summary>
    private static int ServeNetif(HostDirectory host, string name, int port, NetifVariant variant, RingFeatures ringFeatures)
    {
        using EventDomain domain = EventDomain.Create(host, 2);
        using EventChannel channel = domain.BindInterdomain(1, port);
        return NetifFloor.Serve(host, name, channel, variant, ringFeatures);
    }

    private static async Task<int> EchoApiAsync(HostDirectory host, string name, string ringFeatures)
    {
        bool noInline = ringFeatures.EndsWith(ApiPingPongCommand.NoInlineSuffix, StringComparison.Ordinal);
        ringFeatures = noInline ? ringFeatures[..^ApiPingPongCommand.NoInlineSuffix.Length] : ringFeatures;
        var options = new PvRingConnectionOptions { Host = host };
        options = new PvRingConnectionOptions
        {
            Host = host,
            Wants = options.Wants with { RingFeatures = ringFeatures == "none" ? RingFeatures.None : options.Wants.RingFeatures, InlineData = !noInline },
        };

        await using PvRingConnection connection = await PvRingConnection.ConnectAsync(name, options);
        var buffer = new byte[NetPacketLimits.MaxPacketSize];
        int length;
        while ((length = await connection.ReceiveAsync(buffer)) > 0)
        {
            await connection.SendAsync(buffer.AsMemory(0, length));
        }

        return 0;
    }

    private static async Task<int> EchoSocketAsync(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        var buffer = new byte[64];
        while (true)
        {
            int received = 0;
            while (received < buffer.Length)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None);
                if (n == 0)
                {
                    return 0;
                }

                received += n;
            }

            await socket.SendAsync(buffer, SocketFlags.None);
        }
    }
}
