// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using PvRing.Tests.Infrastructure;
using PvRing.Transport;

namespace PvRing.Tests.Connections;

/// <summary>A length-prefixed protocol over each end's <see cref="PvRingConnection.Pipe"/>, both ways at once, random write sizes, every byte checked.</summary>
public sealed class PvRingDuplexPipeTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Pipe_LengthPrefixedMessagesBothWays_EveryByteArrivesAndTheStreamEnds()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("pipe", new() { Host = host.Host });
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("pipe", new() { Host = host.Host });
        PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        PvRingConnection front = await connecting.WaitAsync(s_bound);
        const int Messages = 600;

        Task frontWrites = WriteMessagesAsync(front.Pipe.Output, Messages, seed: 1);
        Task backWrites = WriteMessagesAsync(back.Pipe.Output, Messages, seed: 2);
        Task backReads = ReadMessagesAsync(back.Pipe.Input, Messages, seed: 1);
        Task frontReads = ReadMessagesAsync(front.Pipe.Input, Messages, seed: 2);
        await Task.WhenAll(frontWrites, backWrites, backReads, frontReads).WaitAsync(s_bound);

        // The front closes (the transport has no half-close): the back's stream ends, with nothing left over.
        await front.DisposeAsync().AsTask().WaitAsync(s_bound);
        ReadResult end = await back.Pipe.Input.ReadAsync().AsTask().WaitAsync(s_bound);
        Assert.True(end.IsCompleted);
        Assert.True(end.Buffer.IsEmpty);
        back.Pipe.Input.AdvanceTo(end.Buffer.End);
        await back.DisposeAsync().AsTask().WaitAsync(s_bound);
    }

    private static async Task WriteMessagesAsync(PipeWriter output, int count, int seed)
    {
        var random = new Random(seed);
        var sizes = new Random(seed + 100);
        for (int m = 0; m < count; m++)
        {
            byte[] message = Message(random, m);
            int offset = 0;
            while (offset < message.Length)
            {
                // Random write sizes, some crossing message boundaries' worth of bytes, each flushed.
                int piece = Math.Min(message.Length - offset, 1 + sizes.Next(0, 70_000));
                message.AsSpan(offset, piece).CopyTo(output.GetSpan(piece));
                output.Advance(piece);
                offset += piece;
                if (sizes.Next(3) == 0)
                {
                    _ = await output.FlushAsync();
                }
            }
        }

        _ = await output.FlushAsync();
    }

    private static async Task ReadMessagesAsync(PipeReader input, int count, int seed)
    {
        var random = new Random(seed);
        int received = 0;
        while (received < count)
        {
            ReadResult result = await input.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (TryTake(ref buffer, out byte[]? message))
            {
                byte[] expected = Message(random, received);
                Assert.True(expected.AsSpan().SequenceEqual(message), $"message {received} differs ({message!.Length} bytes, expected {expected.Length})");
                received++;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            Assert.False(result.IsCompleted && received < count, $"the stream ended after {received} of {count} messages");
        }
    }

    private static bool TryTake(ref ReadOnlySequence<byte> buffer, out byte[]? message)
    {
        message = null;
        if (buffer.Length < 4)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(header);
        int length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (buffer.Length < 4 + length)
        {
            return false;
        }

        message = buffer.Slice(0, 4 + length).ToArray();
        buffer = buffer.Slice(4 + length);
        return true;
    }

    private static byte[] Message(Random random, int index)
    {
        int length = random.Next(0, 100_000);
        var message = new byte[4 + length];
        BinaryPrimitives.WriteInt32LittleEndian(message, length);
        for (int i = 4; i < message.Length; i++)
        {
            message[i] = (byte)((index * 31) + (i * 7));
        }

        return message;
    }
}
