// Licensed under the MIT License. See LICENSE in the repository root.

using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PvRing.Platform;

namespace PvRing.Store;

/// <summary>
/// A xenstore-compatible store daemon on a Unix socket: the wire protocol of Xen's <c>io/xs_wire.h</c>,
/// so both PvRing's <see cref="XenStoreClient"/> and Debian's <c>xenstore-*</c> tools (with
/// <c>XENSTORED_PATH</c> set to the socket) work against it. Embed it in the back end, or run it with
/// <c>pvring store --socket PATH</c>.
/// </summary>
/// <remarks>
/// Design: one lock guards the tree, the watches and the domain table; requests are short, so a single
/// lock keeps the rules (permissions, quotas, transaction conflicts, watch order) easy to check. Each
/// connection handles its own requests in order and sends through its own queue. A plain connection is
/// domain 0 and privileged, as xenstored treats its socket; a client becomes domain N by sending
/// <c>XS_RESTRICT</c> (type 20) with "N". When the last connection of a domain closes, or its process
/// (from <c>SO_PEERCRED</c>) dies, the domain is released and <c>@releaseDomain</c> fires.
/// </remarks>
public sealed partial class XenStoreServer : IAsyncDisposable, IDisposable
{
    /// <summary>The file name the store socket gets inside a host directory.</summary>
    public const string DefaultSocketName = "xenstored.sock";

    private readonly XenStoreServerOptions _options;
    private readonly Socket _listener;
    private readonly object _gate = new();
    private readonly StoreTree _tree;
    private readonly Dictionary<long, StoreConnection> _connections = [];
    private readonly Dictionary<int, int> _domainConnections = [];
    private readonly HashSet<int> _introduced = [];
    private readonly List<Task> _connectionTasks = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;
    private readonly Timer _probe;
    private long _nextConnectionId;
    private uint _nextTransactionId;
    private int _disposed;
    private readonly StoreCounters _counters = new();

    private XenStoreServer(XenStoreServerOptions options, Socket listener)
    {
        _options = options;
        _listener = listener;
        _tree = new StoreTree(options.Limits);
        _acceptLoop = Task.Run(AcceptLoopAsync);
        _probe = new Timer(_ => ProbeProcesses(), null, options.ProcessProbeInterval, options.ProcessProbeInterval);
        StoreMetrics.Register(_counters, "server", options.SocketPath, () => ConnectionCount);
    }

    /// <summary>The socket path clients connect to.</summary>
    public string SocketPath => _options.SocketPath;

    /// <summary>How many clients are connected now.</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_gate)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>
    /// Creates the socket (mode 0600; a stale socket file nobody listens on is replaced) and starts serving.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="PvRingException">Another store listens on the path, or the socket cannot be created.</exception>
    public static XenStoreServer Start(XenStoreServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string path = Path.GetFullPath(options.SocketPath);
        RemoveStaleSocket(path);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));

            // Inside a 0700 host directory nobody else can reach the socket between bind and chmod.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            listener.Listen(64);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            listener.Dispose();
            throw new PvRingException($"Cannot create the store socket '{path}': {e.Message}", e);
        }

        return new XenStoreServer(new XenStoreServerOptions
        {
            SocketPath = path,
            Limits = options.Limits,
            ProcessProbeInterval = options.ProcessProbeInterval,
            Logger = options.Logger,
        }, listener);
    }

    /// <summary>Stops listening, closes every connection, removes the socket file and waits for the loops to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        StoreMetrics.Unregister(_counters);
        await _probe.DisposeAsync().ConfigureAwait(false);
        _stopping.Cancel();
        _listener.Dispose();
        Task[] tasks;
        lock (_gate)
        {
            foreach (StoreConnection connection in _connections.Values)
            {
                connection.Abort();
            }

            tasks = [_acceptLoop, .. _connectionTasks];
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        PrivateFiles.DeleteIfPresent(_options.SocketPath);
        _stopping.Dispose();
    }

    /// <summary>Synchronous <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static void RemoveStaleSocket(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            // Nobody listens: a socket left behind by a store that died.
            File.Delete(path);
            return;
        }

        throw new PvRingException($"A store is already listening on '{path}'.");
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            lock (_gate)
            {
                if (_connections.Count >= _options.Limits.MaxConnections)
                {
                    StoreLog.ConnectionLimit(Logger, _connections.Count);
                    socket.Dispose();
                    continue;
                }

                var connection = new StoreConnection(++_nextConnectionId, socket, StoreInterop.GetPeerProcessId(socket));
                _connections.Add(connection.Id, connection);
                _connectionTasks.RemoveAll(t => t.IsCompleted);
                _connectionTasks.Add(Task.Run(connection.WriteLoopAsync));
                _connectionTasks.Add(Task.Run(() => ServeAsync(connection)));
                StoreLog.Connected(Logger, connection.Id, connection.PeerProcessId);
            }
        }
    }

    /// <summary>The nodes domain <paramref name="domainId"/> owns now (for tests of the quota).</summary>
    internal int NodesOwnedBy(int domainId)
    {
        lock (_gate)
        {
            return _tree.OwnedBy(domainId);
        }
    }

    /// <summary>The largest reply backlog of any connection now, in bytes (for tests of the bound).</summary>
    internal long LargestPendingReplyBytes
    {
        get
        {
            lock (_gate)
            {
                return _connections.Values.Select(c => c.PendingReplyBytes).DefaultIfEmpty(0).Max();
            }
        }
    }

    private async Task ServeAsync(StoreConnection connection)
    {
        byte[] header = new byte[XenStoreWire.HeaderSize];
        try
        {
            while (true)
            {
                // A client that does not read its replies is not read from either: the backlog stays bounded.
                await connection.WaitForReplyRoomAsync(_options.Limits.MaxPendingReplyBytesPerConnection).ConfigureAwait(false);
                await connection.Stream.ReadExactlyAsync(header, connection.Closed).ConfigureAwait(false);
                (uint type, uint requestId, uint transactionId, uint length) = XenStoreWire.ReadHeader(header);
                if (length > XenStoreLimits.PayloadMax)
                {
                    // Answer and skip the payload so the stream stays in step; the client only hurts itself.
                    StoreLog.PayloadRefused(Logger, connection.Id, length);
                    _counters.OnOperation((XenStoreMessageType)type);
                    _counters.OnError((XenStoreMessageType)type);
                    connection.Send(ErrorMessage(XenStoreErrorNames.TooBig, requestId, transactionId));
                    await SkipAsync(connection, length).ConfigureAwait(false);
                    continue;
                }

                byte[] payload = length == 0 ? [] : new byte[length];
                await connection.Stream.ReadExactlyAsync(payload, connection.Closed).ConfigureAwait(false);
                Handle(connection, type, requestId, transactionId, payload);
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The client closed the connection or died; what it held is released below.
        }
        catch (Exception e)
        {
            // A request this server failed to handle: a bug, never the client's right. Say so; the others are served on.
            StoreLog.InternalError(Logger, connection.Id, e);
        }
        finally
        {
            connection.Abort();
            Disconnect(connection);
        }
    }

    private static async Task SkipAsync(StoreConnection connection, uint length)
    {
        byte[] discard = new byte[4096];
        long left = length;
        while (left > 0)
        {
            int read = await connection.Stream.ReadAsync(discard.AsMemory(0, (int)Math.Min(left, discard.Length)), connection.Closed).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            left -= read;
        }
    }

    private void Disconnect(StoreConnection connection)
    {
        lock (_gate)
        {
            if (!_connections.Remove(connection.Id))
            {
                return;
            }

            _counters.OnDisconnect();
            connection.Watches.Clear();
            connection.Transactions.Clear();
            StoreLog.Disconnected(Logger, connection.Id, connection.Caller.DomainId);
            if (!connection.Caller.IsPrivileged)
            {
                int domain = connection.Caller.DomainId;
                int left = _domainConnections[domain] - 1;
                if (left > 0)
                {
                    _domainConnections[domain] = left;
                }
                else
                {
                    _domainConnections.Remove(domain);
                    ReleaseDomain(domain);
                }
            }
        }
    }

    private void ProbeProcesses()
    {
        List<StoreConnection> dead = [];
        lock (_gate)
        {
            foreach (StoreConnection connection in _connections.Values)
            {
                if (!connection.Caller.IsPrivileged && !StoreInterop.IsProcessAlive(connection.PeerProcessId))
                {
                    dead.Add(connection);
                }
            }
        }

        foreach (StoreConnection connection in dead)
        {
            StoreLog.ProcessGone(Logger, connection.Id, connection.PeerProcessId);
            connection.Abort();
        }
    }

    private ILogger Logger => _options.Logger ?? NullLogger.Instance;
}
