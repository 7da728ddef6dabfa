// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers;
using System.IO.Pipelines;

namespace PvRing.Transport;

/// <summary>
/// A connection as a byte stream, built as Kestrel builds its transports: a receive loop writes every packet into the
/// input pipe, a send loop cuts what the application writes into packets of at most 65535 bytes. Pause/resume thresholds
/// bound the bytes buffered each way; a failure of a loop completes its pipe with the exception, so the application sees
/// it on its next read or flush.
/// </summary>
internal sealed class PvRingDuplexPipe : IDuplexPipe
{
    private const long PauseThreshold = 1 << 20;
    private const long ResumeThreshold = PauseThreshold / 2;
    private const int SegmentSize = 64 * 1024;

    // Segments shorter than this are joined in the staging buffer rather than sent as many small packets.
    private const int DirectSendMinimum = 16 * 1024;

    private readonly PvRingConnection _connection;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly byte[] _staging = new byte[NetPacketLimits.MaxPacketSize];
    private readonly Task _receiving;
    private readonly Task _sending;

    public PvRingDuplexPipe(PvRingConnection connection)
    {
        _connection = connection;
        // Segments of 64 KiB: what the application writes mostly lands in segments a packet can take whole.
        var options = new PipeOptions(
            pauseWriterThreshold: PauseThreshold, resumeWriterThreshold: ResumeThreshold, minimumSegmentSize: SegmentSize, useSynchronizationContext: false);
        _input = new Pipe(options);
        _output = new Pipe(options);
        _receiving = Task.Run(ReceiveLoopAsync);
        _sending = Task.Run(SendLoopAsync);
    }

    public PipeReader Input => _input.Reader;

    public PipeWriter Output => _output.Writer;

    /// <summary>The send loop's end: it finishes when the application completes <see cref="Output"/> and everything written was sent.</summary>
    public Task Sending => _sending;

    /// <summary>The receive loop's end: the peer closed, the application completed <see cref="Input"/>, or a failure.</summary>
    public Task Receiving => _receiving;

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                Memory<byte> memory = _input.Writer.GetMemory(NetPacketLimits.MaxPacketSize);
                int length = await _connection.ReceiveAsync(memory).ConfigureAwait(false);
                if (length == 0)
                {
                    break; // the peer closed: the end of the stream
                }

                _input.Writer.Advance(length);
                FlushResult flushed = await _input.Writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break; // the application stopped reading
                }
            }
        }
        catch (Exception e) when (e is PvRingException or ObjectDisposedException or InvalidOperationException)
        {
            error = e;
        }
        finally
        {
            await _input.Writer.CompleteAsync(error).ConfigureAwait(false);
        }
    }

    /// <summary>The first packet of a segment of <paramref name="available"/> bytes: all of it if it fits, else an equal share in whole pages.</summary>
    internal static int DirectPacketLength(int available)
    {
        if (available <= NetPacketLimits.MaxPacketSize)
        {
            return available;
        }

        int packets = (available + NetPacketLimits.MaxPacketSize - 1) / NetPacketLimits.MaxPacketSize;
        int share = (available + packets - 1) / packets;
        int pages = (share + Memory.XenPage.Size - 1) / Memory.XenPage.Size * Memory.XenPage.Size;
        return Math.Min(pages, NetPacketLimits.MaxPacketSize);
    }

    private async Task SendLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result = await _output.Reader.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                while (!buffer.IsEmpty)
                {
                    ReadOnlyMemory<byte> first = buffer.First;
                    int length;
                    if (first.Length >= DirectSendMinimum)
                    {
                        // A large segment goes out as it is (the send copies it into the granted frames once), in equal
                        // page-multiple packets: a 64 KiB segment as two of 32 KiB, not 65535 bytes and a 1-byte rest
                        // that would push every later byte through the staging buffer.
                        length = DirectPacketLength(first.Length);
                        await _connection.SendAsync(first[..length]).ConfigureAwait(false);
                    }
                    else
                    {
                        // Small segments are joined into one packet of up to 65535 bytes through the staging buffer.
                        length = (int)Math.Min(buffer.Length, _staging.Length);
                        buffer.Slice(0, length).CopyTo(_staging);
                        await _connection.SendAsync(_staging.AsMemory(0, length)).ConfigureAwait(false);
                    }

                    buffer = buffer.Slice(length);
                }

                _output.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is PvRingException or ObjectDisposedException or InvalidOperationException)
        {
            error = e;
        }
        finally
        {
            await _output.Reader.CompleteAsync(error).ConfigureAwait(false);
        }
    }
}
