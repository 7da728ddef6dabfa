// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers;
using System.IO.Pipelines;
using PvRing.Tests.Infrastructure;
using PvRing.Transport;

namespace PvRing.Tests.Connections;

/// <summary>
/// A listener and both ends of one connection in this process, for the pipe's tests; and the stream pattern they check,
/// byte i of a stream = (byte)(i % 251), so a byte lost, repeated or reordered shows.
/// </summary>
internal sealed class PipePair : IAsyncDisposable
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly TempHost _host;
    private readonly PvRingListener _listener;

    private PipePair(TempHost host, PvRingListener listener, PvRingConnection front, PvRingConnection back)
    {
        _host = host;
        _listener = listener;
        Front = front;
        Back = back;
    }

    public PvRingConnection Front { get; }

    public PvRingConnection Back { get; }

    /// <summary>Connects a pair; <paramref name="wants"/> null: the connection's defaults.</summary>
    public static async Task<PipePair> StartAsync(string name, NetDeviceFeatures? wants = null)
    {
        var host = new TempHost();
        PvRingListener listener = await PvRingListener.StartAsync(name, new() { Host = host.Host });
        var options = wants is null ? new PvRingConnectionOptions { Host = host.Host } : new PvRingConnectionOptions { Host = host.Host, Wants = wants.Value };
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync(name, options);
        PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(Bound);
        PvRingConnection front = await connecting.WaitAsync(Bound);
        return new PipePair(host, listener, front, back);
    }

    /// <summary>The features of a pair with one-page rings (256 slots each way) and <paramref name="mode"/>.</summary>
    public static NetDeviceFeatures Small(NetGrantModes mode = NetGrantModes.Persistent) =>
        NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = mode };

    /// <summary>Reads until the buffer holds at least <paramref name="count"/> bytes (examining, not consuming); the caller advances.</summary>
    public static async Task<ReadOnlySequence<byte>> ReadAtLeastAsync(PipeReader input, int count)
    {
        ReadResult result = await input.ReadAtLeastAsync(count).AsTask().WaitAsync(Bound);
        return result.Buffer;
    }

    /// <summary>Reads and consumes <paramref name="count"/> bytes of the pattern from <paramref name="start"/>, checking each one.</summary>
    public static async Task ReadPatternAsync(PipeReader input, long start, long count)
    {
        long at = start;
        while (at < start + count)
        {
            ReadResult result = await input.ReadAsync().AsTask().WaitAsync(Bound);
            ReadOnlySequence<byte> buffer = result.Buffer.Slice(0, Math.Min(result.Buffer.Length, start + count - at));
            AssertPattern(buffer, at);
            at += buffer.Length;
            input.AdvanceTo(buffer.End);
            Assert.False(result.IsCompleted && at < start + count, $"the stream ended at byte {at} of {start + count}");
        }
    }

    public static async Task WritePatternAsync(PipeWriter output, long start, int count)
    {
        _ = await output.WriteAsync(Pattern(start, count)).AsTask().WaitAsync(Bound);
    }

    public static byte[] Pattern(long start, int count)
    {
        var data = new byte[count];
        for (int i = 0; i < count; i++)
        {
            data[i] = (byte)((start + i) % 251);
        }

        return data;
    }

    public static void AssertPattern(ReadOnlySequence<byte> buffer, long start)
    {
        long at = start;
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            ReadOnlySpan<byte> span = segment.Span;
            for (int i = 0; i < span.Length; i++, at++)
            {
                if (span[i] != (byte)(at % 251))
                {
                    Assert.Fail($"byte {at} of the stream is {span[i]}, expected {(byte)(at % 251)}");
                }
            }
        }
    }

    /// <summary>The writing end's output and the other end's input.</summary>
    public (PipeWriter Output, PipeReader Input) Direction(bool frontWrites) =>
        frontWrites ? (Front.Pipe.Output, Back.Pipe.Input) : (Back.Pipe.Output, Front.Pipe.Input);

    public async ValueTask DisposeAsync()
    {
        await Front.DisposeAsync().AsTask().WaitAsync(Bound);
        await Back.DisposeAsync().AsTask().WaitAsync(Bound);
        await _listener.DisposeAsync().AsTask().WaitAsync(Bound);
        _host.Dispose();
    }
}
