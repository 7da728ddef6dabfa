// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers;
using System.IO.Pipelines;

namespace PvRing.Transport;

/// <summary>
/// A connection as a byte stream. The input is a <see cref="PvRingPipeReader"/>: the buffer a read returns is the packets
/// the connection lends, without a copy. The output is built as Kestrel builds its transports: a send loop cuts what the
/// application writes into one-page packets (the size a receiver lends in place), with pause/resume thresholds on what
/// waits to be sent; a failure of the loop completes the output's pipe with the exception, so the application sees it on
/// its next flush.
/// </summary>
internal sealed class PvRingDuplexPipe : IDuplexPipe
{
    private const long PauseThreshold = 1 << 20;
    private const long ResumeThreshold = PauseThreshold / 2;
    private const int SegmentSize = 64 * 1024;

    // One page per packet: the receiving end lends a one-page packet in place (a longer one is gathered into a copy).
    private const int PacketSize = Memory.XenPage.Size;

    private readonly PvRingConnection _connection;
    private readonly PvRingPipeReader _input;
    private readonly Pipe _output;
    private readonly byte[] _staging = new byte[PacketSize];
    private readonly Task _sending;

    public PvRingDuplexPipe(PvRingConnection connection)
    {
        _connection = connection;
        _input = new PvRingPipeReader(connection);
        // Segments of 64 KiB: what the application writes mostly lands in segments cut into whole pages.
        _output = new Pipe(new PipeOptions(
            pauseWriterThreshold: PauseThreshold, resumeWriterThreshold: ResumeThreshold, minimumSegmentSize: SegmentSize, useSynchronizationContext: false));
        _sending = Task.Run(SendLoopAsync);
    }

    public PipeReader Input => _input;

    public PipeWriter Output => _output.Writer;

    /// <summary>The send loop's end: it finishes when the application completes <see cref="Output"/> and everything written was sent.</summary>
    public Task Sending => _sending;

    /// <summary>The input's end: completed (by the application or <see cref="CompleteInputForDispose"/>) with no read waiting.</summary>
    public Task Receiving => _input.Done;

    /// <summary>Completes the input as the connection is disposed: every lent packet goes back while the rings are there.</summary>
    public void CompleteInputForDispose() => _input.CompleteForDispose(_connection);

    /// <summary>The next packet of a segment of <paramref name="available"/> bytes: a page, or all of it when shorter.</summary>
    internal static int DirectPacketLength(int available) => Math.Min(available, PacketSize);

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
                    if (first.Length >= PacketSize || buffer.IsSingleSegment)
                    {
                        // A page of a segment goes out as it is (the send copies it into a granted frame once).
                        length = DirectPacketLength(first.Length);
                        await _connection.SendAsync(first[..length]).ConfigureAwait(false);
                    }
                    else
                    {
                        // The short end of a segment is joined with the next one's start into one page through the staging buffer.
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
