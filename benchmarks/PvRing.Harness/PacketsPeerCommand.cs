// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using PvRing.Bus;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Store;
using PvRing.Transport;

namespace PvRing.Harness;

/// <summary>
/// The sending side of <c>packets</c> (started by it, pinned with taskset): for each case of the schedule, either connects
/// as the net front end of device <c>vif/1/0/RUN</c> and streams packets into the transmit ring until the back end
/// closes, or connects to the harness's Unix domain socket and streams length-prefixed packets until the harness closes
/// it. The receiver decides how long a run lasts; this side only keeps the pipe full, busy-polling.
/// </summary>
/// <remarks>Arguments: <c>HOST STORE-SOCKET DATA-SOCKET CASES</c>, the cases as <see cref="PacketCase.Code"/>, comma-separated, in run order.</remarks>
internal sealed class PacketsPeerCommand : IHarnessCommand
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);

    public string Name => "packets-peer";

    public string Summary => "(internal) the front end and socket sender of packets";

    public int Run(string[] args)
    {
        if (args.Length != 4)
        {
            Console.Error.WriteLine("usage: packets-peer HOST STORE-SOCKET DATA-SOCKET CASES   (started by packets)");
            return 64;
        }

        var host = new HostDirectory(args[0]);
        PacketCase[] schedule = [.. args[3].Split(',').Select(PacketCase.Parse)];
        return RunAsync(host, args[1], args[2], schedule).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(HostDirectory host, string storeSocket, string dataSocket, PacketCase[] schedule)
    {
        using EventDomain events = EventDomain.Create(host, PacketsCommand.FrontDomainId);
        await using XenStoreClient store = await XenStoreClient.ConnectAsync(
            new XenStoreClientOptions { SocketPath = storeSocket, DomainId = PacketsCommand.FrontDomainId });
        byte[] packet = new byte[NetPacketLimits.MaxPacketSize + sizeof(int)];
        for (int i = 0; i < packet.Length; i++)
        {
            packet[i] = (byte)(i * 7);
        }

        long sent = 0;
        for (int run = 0; run < schedule.Length; run++)
        {
            PacketCase c = schedule[run];
            sent += c.Socket
                ? SendThroughSocket(dataSocket, packet, c.Size)
                : await SendThroughRingAsync(store, PacketsCommand.DeviceFor(run), host, events, packet, c);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"result: runs={schedule.Length} sent={sent}"));
        return 0;
    }

    private static async Task<long> SendThroughRingAsync(XenStoreClient store, XenBusDevice device, HostDirectory host, EventDomain events, byte[] packet, PacketCase c)
    {
        // A fresh grant domain (memory and grant table) per connection, sized for its features: one shared by the whole
        // schedule ran out of grant references on 1500-byte packets after a block of 64-byte runs (entries=8704).
        using GrantDomain grants = GrantDomain.Create(host, PacketsCommand.FrontDomainId, NetFrontend.DomainOptionsFor(c.Features));
        var options = new NetFrontendOptions { Wants = c.Features, Bus = new XenBusOptions { Timeout = s_limit } };
        NetFrontend front = await NetFrontend.ConnectAsync(store, device, grants, events, options);
        try
        {
            return Stream(front.Queue, front.BackendGone, packet.AsSpan(0, c.Size));
        }
        finally
        {
            await front.DisposeAsync();
        }
    }

    /// <summary>
    /// Sends numbered packets until the back end goes away: the back stops receiving when its clock says so, the ring
    /// fills, and the failed sends then watch <paramref name="backendGone"/>.
    /// </summary>
    // Fully optimised from the first run, so that every run executes the same machine code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long Stream(NetFrontQueue queue, Task backendGone, Span<byte> packet)
    {
        var poll = new BusyPoll(s_limit);
        long sequence = 0;
        try
        {
            while (true)
            {
                BinaryPrimitives.WriteInt64LittleEndian(packet, sequence);
                if (queue.TrySend(packet))
                {
                    sequence++;
                    poll.Progress();
                }
                else if (backendGone.IsCompleted)
                {
                    return sequence;
                }
                else
                {
                    poll.Idle("transmit slots (the back end stopped receiving but did not close)");
                }
            }
        }
        catch (PvRingException) when (backendGone.IsCompleted)
        {
            // The back end closed while a send was notifying it: the run is over.
            return sequence;
        }
    }

    /// <summary>
    /// The baseline: a stream socket, each packet one send of a 4-byte length and the payload from one reusable buffer,
    /// until the harness closes the connection.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long SendThroughSocket(string path, byte[] buffer, int size)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        Span<byte> frame = buffer.AsSpan(0, sizeof(int) + size);
        BinaryPrimitives.WriteInt32LittleEndian(frame, size);
        long sequence = 0;
        try
        {
            while (true)
            {
                BinaryPrimitives.WriteInt64LittleEndian(frame[sizeof(int)..], sequence);
                ReadOnlySpan<byte> rest = frame;
                while (!rest.IsEmpty)
                {
                    rest = rest[socket.Send(rest)..];
                }

                sequence++;
            }
        }
        catch (SocketException)
        {
            // The harness closed the connection (EPIPE/ECONNRESET): the run is over.
            return sequence;
        }
    }
}
