// Licensed under the MIT License. See LICENSE in the repository root.

using System.Net.Sockets;
using System.Threading.Channels;

namespace PvRing.Store;

/// <summary>
/// One client of the server: a read loop that handles requests one at a time, and a write loop that sends
/// replies and watch events in order from a queue (so firing a watch never blocks on a slow client).
/// </summary>
internal sealed class StoreConnection
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closed = new();
    private int _pendingEvents;
    private long _pendingReplyBytes;

    // Signalled by the write loop when replies drain, for a read loop that stopped because too many were queued.
    private readonly SemaphoreSlim _replyRoom = new(0, 1);

    public StoreConnection(long id, Socket socket, int peerProcessId)
    {
        Id = id;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        PeerProcessId = peerProcessId;
    }

    public long Id { get; }

    public int PeerProcessId { get; }

    /// <summary>Domain 0 and privileged until the client restricts the connection to a domain.</summary>
    public StoreCaller Caller { get; set; } = StoreCaller.Privileged;

    public Dictionary<string, StoreWatch> Watches { get; } = new(StringComparer.Ordinal);

    public Dictionary<uint, StoreTransaction> Transactions { get; } = [];

    public NetworkStream Stream => _stream;

    public CancellationToken Closed => _closed.Token;

    public static string WatchKey(string path, string token) => path + "\0" + token;

    public void Send(byte[] message)
    {
        Interlocked.Add(ref _pendingReplyBytes, message.Length);
        _outgoing.Writer.TryWrite(message);
    }

    /// <summary>Reply bytes queued and not yet written to the client.</summary>
    public long PendingReplyBytes => Volatile.Read(ref _pendingReplyBytes);

    /// <summary>Waits (the read loop, before its next request) until fewer than <paramref name="limit"/> reply bytes wait for the client.</summary>
    public async ValueTask WaitForReplyRoomAsync(long limit)
    {
        while (Volatile.Read(ref _pendingReplyBytes) >= limit)
        {
            await _replyRoom.WaitAsync(_closed.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Queues a watch event; false when the client lets too many pile up (the caller then drops it).</summary>
    public bool SendEvent(byte[] message, int limit)
    {
        if (Interlocked.Increment(ref _pendingEvents) > limit)
        {
            return false;
        }

        _outgoing.Writer.TryWrite(message);
        return true;
    }

    public async Task WriteLoopAsync()
    {
        try
        {
            await foreach (byte[] message in _outgoing.Reader.ReadAllAsync(_closed.Token).ConfigureAwait(false))
            {
                await _stream.WriteAsync(message, _closed.Token).ConfigureAwait(false);
                if (BitConverter.ToUInt32(message, XenStoreWire.TypeOffset) == (uint)XenStoreMessageType.WatchEvent)
                {
                    Interlocked.Decrement(ref _pendingEvents);
                }
                else
                {
                    Interlocked.Add(ref _pendingReplyBytes, -message.Length);
                    if (_replyRoom.CurrentCount == 0)
                    {
                        try
                        {
                            _replyRoom.Release();
                        }
                        catch (SemaphoreFullException)
                        {
                            // Already signalled: the waiter re-checks the backlog anyway.
                        }
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The client went away; the read loop notices too and cleans up.
        }
        finally
        {
            Abort();
        }
    }

    /// <summary>Closes the socket; both loops end. Safe to call more than once and from any thread.</summary>
    public void Abort()
    {
        if (_closed.IsCancellationRequested)
        {
            return;
        }

        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        _outgoing.Writer.TryComplete();
        _socket.Dispose();
    }
}
