// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.Harness;

/// <summary><c>apistream-peer pipe HOST NAME BYTES</c> or <c>apistream-peer socket PATH BYTES</c>: writes BYTES in 64 KiB writes.</summary>
internal sealed class ApiStreamPeerCommand : IHarnessCommand
{
    private const int Chunk = 64 * 1024;

    public string Name => "apistream-peer";

    public string Summary => "(internal) the writing side of apistream";

    public int Run(string[] args) => args[0] == "pipe"
        ? WritePipeAsync(new HostDirectory(args[1]), args[2], long.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture)).GetAwaiter().GetResult()
        : WriteSocket(args[1], long.Parse(args[2], CultureInfo.InvariantCulture));

    private static async Task<int> WritePipeAsync(HostDirectory host, string name, long bytes, int order)
    {
        var options = new PvRingConnectionOptions { Host = host, Wants = new PvRingConnectionOptions().Wants with { RingPageOrder = order } };
        await using PvRingConnection connection = await PvRingConnection.ConnectAsync(name, options);
        PipeWriter output = connection.Pipe.Output;
        var chunk = new byte[Chunk];
        for (long sent = 0; sent < bytes; sent += Chunk)
        {
            FlushResult flushed = await output.WriteAsync(chunk.AsMemory(0, (int)Math.Min(Chunk, bytes - sent)));
            if (flushed.IsCompleted)
            {
                return 1;
            }
        }

        await output.CompleteAsync();
        return 0;
    }

    private static int WriteSocket(string path, long bytes)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        var chunk = new byte[Chunk];
        for (long sent = 0; sent < bytes; sent += Chunk)
        {
            socket.Send(chunk.AsSpan(0, (int)Math.Min(Chunk, bytes - sent)));
        }

        socket.Shutdown(SocketShutdown.Send);
        return 0;
    }
}
