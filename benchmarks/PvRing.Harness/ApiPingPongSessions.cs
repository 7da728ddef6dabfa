// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Rings;
using PvRing.Transport;

namespace PvRing.Harness;

/// <summary>
/// One case of <c>apipingpong</c> with its peer running: a round trip at a time, so that the cases of a repetition can take
/// turns in short blocks (<see cref="ApiPingPongCommand"/>) and see the same state of the machine.
/// </summary>
internal abstract class ApiPingPongSession : IAsyncDisposable
{
    protected const int Size = 64;

    protected ApiPingPongSession(string name, Process peer)
    {
        Name = name;
        Peer = peer;
    }

    public string Name { get; }

    public LatencyHistogram Times { get; } = new();

    protected Process Peer { get; }

    /// <summary>
    /// Starts <paramref name="which"/>'s peer on <paramref name="cpu"/> and connects to it, in a directory of its own under
    /// <paramref name="parent"/> (each case has its own domains).
    /// </summary>
    public static Task<ApiPingPongSession> StartAsync(string which, HostDirectory parent, int cpu, string ringFeatures) =>
        StartInAsync(which, new HostDirectory(Path.Combine(parent.Path, which)), cpu, ringFeatures);

    private static async Task<ApiPingPongSession> StartInAsync(string which, HostDirectory host, int cpu, string ringFeatures) => which switch
    {
        "api" => await ApiSession.StartApiAsync(which, host, cpu, ringFeatures),
        "api-noinline" => await ApiSession.StartApiAsync(which, host, cpu, ringFeatures + ApiPingPongCommand.NoInlineSuffix),
        "ring" => RingSession.Start(host, cpu),
        "socket" => await SocketSession.StartSocketAsync(host, cpu),
        _ => NetifSession.Start(which, host, cpu, NetifVariantOf(which) ?? throw new ArgumentException($"Not a netif case: {which}", nameof(which)), ringFeatures),
    };

    /// <summary>The variant a netif case names (<c>netif</c>, then <c>-unfenced</c>, <c>-deferred</c> in either order); null if it names none.</summary>
    public static NetifVariant? NetifVariantOf(string which)
    {
        string[] parts = which.Split('-');
        NetifVariant variant = NetifVariant.None;
        foreach (string part in parts.Skip(1))
        {
            NetifVariant one = part switch
            {
                "unfenced" => NetifVariant.Unfenced,
                "deferred" => NetifVariant.Deferred,
                _ => NetifVariant.None,
            };
            if (one == NetifVariant.None || (variant & one) != 0)
            {
                return null;
            }

            variant |= one;
        }

        return parts[0] == "netif" ? variant : null;
    }

    /// <summary>Runs <paramref name="count"/> round trips, each into <see cref="Times"/> when <paramref name="record"/>.</summary>
    public abstract ValueTask RunAsync(int count, bool record);

    /// <summary>Ends the peer (it must exit 0) and everything the case holds.</summary>
    public abstract ValueTask DisposeAsync();

    protected static Process StartPeer(int cpu, params string[] arguments) => PeerProcess.Start(cpu, "apipingpong-peer", arguments);

    protected static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    protected void FinishPeer() => _ = Measurement.Finish(Peer, "apipingpong-peer");

    /// <summary>The api case: 64 B through <c>SendAsync</c> then <c>ReceiveAsync</c> with the connection's defaults.</summary>
    private sealed class ApiSession(string name, Process peer, PvRingListener listener, PvRingConnection connection) : ApiPingPongSession(name, peer)
    {
        private readonly byte[] _packet = new byte[Size];
        private readonly byte[] _buffer = new byte[NetPacketLimits.MaxPacketSize];

        public static async Task<ApiPingPongSession> StartApiAsync(string name, HostDirectory host, int cpu, string ringFeatures)
        {
            string meeting = $"pp{Environment.TickCount64 & 0xFFFFFF}";
            PvRingListener listener = await PvRingListener.StartAsync(meeting, new PvRingListenerOptions { Host = host });
            Process peer = StartPeer(cpu, "api", host.Path, meeting, ringFeatures);
            return new ApiSession(name, peer, listener, await listener.AcceptAsync());
        }

        public override async ValueTask RunAsync(int count, bool record)
        {
            for (int i = 0; i < count; i++)
            {
                long start = Stopwatch.GetTimestamp();
                await connection.SendAsync(_packet);
                if (await connection.ReceiveAsync(_buffer) != Size)
                {
                    throw new InvalidOperationException("the echo came back with another length");
                }

                if (record)
                {
                    Times.Record(Stopwatch.GetTimestamp() - start);
                }
            }
        }

        public override async ValueTask DisposeAsync()
        {
            await connection.DisposeAsync(); // the peer's receive ends: it exits
            FinishPeer();
            await listener.DisposeAsync();
        }
    }

    /// <summary>
    /// A case on bare rings with one event channel: a synchronous round trip; closing the channel ends the peer's wait, then
    /// the rings (<paramref name="rings"/>) and the domain go.
    /// </summary>
    private abstract class ChannelSession(string name, Process peer, EventDomain domain, EventChannel channel, IDisposable rings) : ApiPingPongSession(name, peer)
    {
        protected EventChannel Channel => channel;

        public sealed override ValueTask RunAsync(int count, bool record)
        {
            for (int i = 0; i < count; i++)
            {
                long start = Stopwatch.GetTimestamp();
                RoundTrip();
                if (record)
                {
                    Times.Record(Stopwatch.GetTimestamp() - start);
                }
            }

            return ValueTask.CompletedTask;
        }

        public sealed override ValueTask DisposeAsync()
        {
            channel.Dispose(); // the peer's wait ends with the channel
            FinishPeer();
            rings.Dispose();
            domain.Dispose();
            return ValueTask.CompletedTask;
        }

        protected abstract void RoundTrip();
    }

    /// <summary>The ring case: one 8-byte request through a bare classic ring, spin-then-block waits (as <c>ringpingpong</c>).</summary>
    private sealed class RingSession(Process peer, EventDomain domain, EventChannel channel, FrontRing<ulong, ulong> ring)
        : ChannelSession("ring", peer, domain, channel, ring)
    {
        private ulong _sequence;

        public static RingSession Start(HostDirectory host, int cpu)
        {
            string file = $"ring{Environment.TickCount64 & 0xFFFFFF}";
            var domain = EventDomain.Create(host, 1);
            EventChannel channel = domain.AllocateUnbound(2);
            FrontRing<ulong, ulong> ring = RingFile.Create<ulong, ulong>(host, file, RingVariant.Classic(0));
            ring.Notifier = channel;
            return new RingSession(StartPeer(cpu, "ring", host.Path, file, Text(channel.Port)), domain, channel, ring);
        }

        protected override void RoundTrip() => RingRoundTripSession.RoundTrip(ring, Channel, new SpinThenBlockWait(), _sequence++);
    }

    /// <summary>The netif cases (<see cref="NetifFloor"/>): the api case's data flow on bare rings; this process is the front.</summary>
    private sealed class NetifSession(string name, Process peer, EventDomain domain, EventChannel channel, NetifFloor.Front front)
        : ChannelSession(name, peer, domain, channel, front)
    {
        private ulong _sequence;

        public static NetifSession Start(string name, HostDirectory host, int cpu, NetifVariant variant, string ringFeatures)
        {
            string file = $"netif{Environment.TickCount64 & 0xFFFFFF}";
            var domain = EventDomain.Create(host, 1);
            EventChannel channel = domain.AllocateUnbound(2);
            var front = new NetifFloor.Front(host, file, channel, variant, ApiPingPongCommand.RingFeaturesOf(ringFeatures));
            return new NetifSession(name, StartPeer(cpu, "netif", host.Path, file, Text(channel.Port), Text((int)variant), ringFeatures), domain, channel, front);
        }

        protected override void RoundTrip() => front.RoundTrip(_sequence++);
    }

    /// <summary>The socket case: 64 B each way over a .NET Unix domain stream socket.</summary>
    private sealed class SocketSession(Process peer, Socket listening, Socket connection, string path) : ApiPingPongSession("socket", peer)
    {
        private readonly byte[] _packet = new byte[Size];
        private readonly byte[] _buffer = new byte[Size];

        public static async Task<ApiPingPongSession> StartSocketAsync(HostDirectory host, int cpu)
        {
            string path = host.GetFilePath($"pp{Environment.TickCount64 & 0xFFFFFF}.sock");
            var listening = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listening.Bind(new UnixDomainSocketEndPoint(path));
            listening.Listen(1);
            Process peer = StartPeer(cpu, "socket", path);
            return new SocketSession(peer, listening, await listening.AcceptAsync(), path);
        }

        public override async ValueTask RunAsync(int count, bool record)
        {
            for (int i = 0; i < count; i++)
            {
                long start = Stopwatch.GetTimestamp();
                await connection.SendAsync(_packet, SocketFlags.None);
                for (int received = 0; received < Size;)
                {
                    int n = await connection.ReceiveAsync(_buffer.AsMemory(received), SocketFlags.None);
                    received += n > 0 ? n : throw new InvalidOperationException("the echo peer closed early");
                }

                if (record)
                {
                    Times.Record(Stopwatch.GetTimestamp() - start);
                }
            }
        }

        public override ValueTask DisposeAsync()
        {
            connection.Shutdown(SocketShutdown.Both);
            FinishPeer();
            connection.Dispose();
            listening.Dispose();
            File.Delete(path);
            return ValueTask.CompletedTask;
        }
    }
}
