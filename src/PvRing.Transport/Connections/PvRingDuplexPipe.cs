// Licensed under the MIT License. See LICENSE in the repository root.

using System.IO.Pipelines;

namespace PvRing.Transport;

/// <summary>
/// A connection as a byte stream, without a copy on either side: the input is a <see cref="PvRingPipeReader"/> (the buffer
/// a read returns is the packets the connection lends), the output a <see cref="PvRingPipeWriter"/> (the memory the
/// application writes into is the shared pages the packets travel in). Both carry one-page packets, the size a receiver
/// lends in place. There are no pumps and no pause thresholds: the ring bounds what is in flight each way.
/// </summary>
internal sealed class PvRingDuplexPipe : IDuplexPipe
{
    private readonly PvRingConnection _connection;
    private readonly PvRingPipeReader _input;
    private readonly PvRingPipeWriter _output;

    public PvRingDuplexPipe(PvRingConnection connection)
    {
        _connection = connection;
        _input = new PvRingPipeReader(connection);
        _output = new PvRingPipeWriter(connection);
    }

    public PipeReader Input => _input;

    public PipeWriter Output => _output;

    /// <summary>The output's end: completed by the application, and everything written posted (or the send failed).</summary>
    public Task Sending => _output.Sent;

    /// <summary>The input's end: completed (by the application or <see cref="CompleteInputForDispose"/>) with no read waiting.</summary>
    public Task Receiving => _input.Done;

    /// <summary>Completes the input as the connection is disposed: every lent packet goes back while the rings are there.</summary>
    public void CompleteInputForDispose() => _input.CompleteForDispose(_connection);
}
