// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;

namespace PvRing.Store;

/// <summary>
/// An asynchronous xenstore client: one Unix-socket connection that carries any number of concurrent
/// requests (matched to replies by <c>req_id</c>), watches as <see cref="IAsyncEnumerable{T}"/>, and
/// transactions with an EAGAIN retry helper.
/// </summary>
/// <remarks>
/// Design: a single receive loop reads every message; replies complete the waiting request, watch events
/// go to the watch's channel by token. Sends are serialised by a semaphore and never cancelled half-way,
/// so a cancelled request cannot tear the stream: its late reply is just dropped. When the connection
/// fails, every waiting request and watch fails with a <see cref="PvRingException"/>.
/// </remarks>
public sealed class XenStoreClient : XenStoreOperations, IAsyncDisposable
{
    private readonly XenStoreClientOptions _options;
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<(uint Type, byte[] Payload)>> _pending = new();
    private readonly ConcurrentDictionary<string, Channel<XenStoreWatchEvent>> _watches = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _receiveLoop;
    private int _nextRequestId;
    private int _nextWatchId;
    private volatile Exception? _failure;
    private readonly StoreCounters _counters = new();

    private XenStoreClient(XenStoreClientOptions options, Socket socket)
    {
        _options = options;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _receiveLoop = Task.Run(ReceiveLoopAsync);
        StoreMetrics.Register(_counters, "client", options.SocketPath, () => IsConnected ? 1 : 0);
    }

    /// <summary>The domain the connection acts as; 0 for a plain (privileged) connection.</summary>
    public int DomainId => _options.DomainId ?? 0;

    /// <summary>Whether the connection is still up.</summary>
    public bool IsConnected => _failure is null;

    private protected override XenStoreClient Connection => this;

    private protected override uint TransactionId => 0;

    /// <summary>
    /// Connects, and when <see cref="XenStoreClientOptions.DomainId"/> is set, restricts the connection to
    /// that domain before returning.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="PvRingException">Nothing listens on the socket, or the store refused the domain.</exception>
    public static async Task<XenStoreClient> ConnectAsync(XenStoreClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.RequestTimeout);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(options.SocketPath), timeout.Token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new PvRingException($"Cannot connect to the store at '{options.SocketPath}': {e.Message}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new XenStoreClient(options, socket);
        if (options.DomainId is { } domain)
        {
            try
            {
                await client.RequestAsync(XenStoreMessageType.Restrict, 0, XenStoreWire.Strings(domain.ToString(CultureInfo.InvariantCulture)), null, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await client.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        return client;
    }

    /// <summary>
    /// Watches <paramref name="path"/> (or <c>@introduceDomain</c> / <c>@releaseDomain</c>). The first event
    /// arrives at once with the watched path; then one per change at or below it. Ending the enumeration
    /// (or cancelling) removes the watch.
    /// </summary>
    /// <exception cref="XenStoreException">The store refused the watch (invalid path, quota).</exception>
    /// <exception cref="PvRingException">The connection failed while watching.</exception>
    public async IAsyncEnumerable<XenStoreWatchEvent> WatchAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string token = "pvring-" + Interlocked.Increment(ref _nextWatchId).ToString(CultureInfo.InvariantCulture);
        var events = Channel.CreateUnbounded<XenStoreWatchEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

        // Registered before the request goes out: the store sends the first event right after its reply.
        _watches[token] = events;
        try
        {
            await RequestAsync(XenStoreMessageType.Watch, 0, XenStoreWire.Strings(path, token), path, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                XenStoreWatchEvent next;
                try
                {
                    next = await events.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (ChannelClosedException e)
                {
                    throw new PvRingException($"The store connection closed while watching '{path}'.", e.InnerException ?? _failure);
                }

                yield return next;
            }
        }
        finally
        {
            _watches.TryRemove(token, out _);
            if (IsConnected)
            {
                try
                {
                    await RequestAsync(XenStoreMessageType.Unwatch, 0, XenStoreWire.Strings(path, token), path, CancellationToken.None).ConfigureAwait(false);
                }
                catch (PvRingException)
                {
                    // The connection is going away or the watch never registered; nothing is left to remove.
                }
            }
        }
    }

    /// <summary>Starts a transaction.</summary>
    public async Task<XenStoreTransaction> StartTransactionAsync(CancellationToken cancellationToken = default)
    {
        byte[] reply = await RequestAsync(XenStoreMessageType.TransactionStart, 0, [0], null, cancellationToken).ConfigureAwait(false);
        List<string> parts = XenStoreWire.SplitStrings(reply);
        return parts.Count == 1 && XenStoreNumber.TryParseDecimal(parts[0], uint.MaxValue, out uint id) && id != 0
            ? new XenStoreTransaction(this, id)
            : throw new PvRingProtocolException($"The store answered TRANSACTION_START with a malformed id: reply={Encoding.UTF8.GetString(reply)}.");
    }

    /// <summary>
    /// Runs <paramref name="body"/> in a transaction and commits it; on <c>EAGAIN</c> runs the whole body again
    /// in a fresh transaction, up to <see cref="XenStoreClientOptions.MaxTransactionAttempts"/> times.
    /// </summary>
    /// <exception cref="XenStoreException">An error other than a conflict, or still conflicting after the last attempt.</exception>
    public async Task<T> RunTransactionAsync<T>(Func<XenStoreTransaction, CancellationToken, Task<T>> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        for (int attempt = 1; ; attempt++)
        {
            await using XenStoreTransaction transaction = await StartTransactionAsync(cancellationToken).ConfigureAwait(false);
            T result = await body(transaction, cancellationToken).ConfigureAwait(false);
            try
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
            catch (XenStoreException e) when (e.IsConflict && attempt < _options.MaxTransactionAttempts)
            {
                StoreLog.TransactionConflict(_options.Logger ?? NullLogger.Instance, transaction.Id, attempt);
            }
        }
    }

    /// <summary>The home path of a domain, <c>/local/domain/&lt;id&gt;</c>, as the store reports it.</summary>
    public async Task<string> GetDomainPathAsync(int domainId, CancellationToken cancellationToken = default) =>
        XenStoreWire.SplitStrings(await RequestAsync(XenStoreMessageType.GetDomainPath, 0, XenStoreWire.Strings(domainId.ToString(CultureInfo.InvariantCulture)), null, cancellationToken).ConfigureAwait(false)).FirstOrDefault()
            ?? throw new PvRingProtocolException("The store answered GET_DOMAIN_PATH with an empty reply.");

    /// <summary>Whether the store knows domain <paramref name="domainId"/> as live (domain 0 always is).</summary>
    public async Task<bool> IsDomainIntroducedAsync(int domainId, CancellationToken cancellationToken = default) =>
        XenStoreWire.SplitStrings(await RequestAsync(XenStoreMessageType.IsDomainIntroduced, 0, XenStoreWire.Strings(domainId.ToString(CultureInfo.InvariantCulture)), null, cancellationToken).ConfigureAwait(false)) is ["T"];

    /// <summary>
    /// The toolstack's <c>XS_INTRODUCE</c>: tells the store that domain <paramref name="domainId"/> exists (firing
    /// <c>@introduceDomain</c> the first time), before its process has connected, as Xen's toolstack does before a guest
    /// boots; a back end waiting for that front end then waits for it instead of taking it for dead. The domain is
    /// released when its last connection closes. Privileged connections only. The ring page and port of the real
    /// message do not exist here and are sent as 0.
    /// </summary>
    /// <exception cref="XenStoreException">The connection is not privileged (<c>EACCES</c>) or the id is invalid.</exception>
    public async Task IntroduceDomainAsync(int domainId, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(domainId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(domainId, XenStorePermission.MaxDomainId);
        _ = await RequestAsync(XenStoreMessageType.Introduce, 0, XenStoreWire.Strings(domainId.ToString(CultureInfo.InvariantCulture), "0", "0"), null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the connection; waiting requests and watches fail, open transactions are dropped by the store.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_closing.IsCancellationRequested)
        {
            return;
        }

        _closing.Cancel();
        StoreMetrics.Unregister(_counters);
        _socket.Dispose();
        await _receiveLoop.ConfigureAwait(false);
        _sendLock.Dispose();
    }

    internal async Task<byte[]> RequestAsync(XenStoreMessageType type, uint transactionId, byte[] payload, string? path, CancellationToken cancellationToken)
    {
        if (payload.Length > XenStoreLimits.PayloadMax)
        {
            // libxenstore refuses the same way before sending.
            throw new XenStoreException(XenStoreErrorNames.TooBig, OperationName(type), path);
        }

        ThrowIfFailed();
        _counters.OnOperation(type);
        uint requestId = (uint)Interlocked.Increment(ref _nextRequestId);
        var reply = new TaskCompletionSource<(uint Type, byte[] Payload)>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = reply;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            byte[] message = XenStoreWire.Message(type, requestId, transactionId, payload);
            await _sendLock.WaitAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                ThrowIfFailed();
                await _stream.WriteAsync(message, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _sendLock.Release();
            }

            (uint replyType, byte[] replyPayload) = await reply.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            if (replyType == (uint)XenStoreMessageType.Error)
            {
                _counters.OnError(type);
                string name = XenStoreWire.SplitStrings(replyPayload).FirstOrDefault() ?? "";
                throw new XenStoreException(name.Length == 0 ? XenStoreErrorNames.IOError : name, OperationName(type), path);
            }

            if (replyType != (uint)type)
            {
                throw new PvRingProtocolException($"The store answered a {OperationName(type)} with message type {replyType}: req_id={requestId}.");
            }

            return replyPayload;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_closing.IsCancellationRequested)
        {
            throw new PvRingException($"xenstore {OperationName(type)}{(path is null ? "" : $" '{path}'")} had no reply within {_options.RequestTimeout}.", new TimeoutException());
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            throw new PvRingException($"The store connection failed during {OperationName(type)}.", e);
        }
        finally
        {
            _pending.TryRemove(requestId, out _);
        }
    }

    private static string OperationName(XenStoreMessageType type) => type switch
    {
        XenStoreMessageType.GetPerms => "GET_PERMS",
        XenStoreMessageType.SetPerms => "SET_PERMS",
        XenStoreMessageType.TransactionStart => "TRANSACTION_START",
        XenStoreMessageType.TransactionEnd => "TRANSACTION_END",
        XenStoreMessageType.GetDomainPath => "GET_DOMAIN_PATH",
        XenStoreMessageType.IsDomainIntroduced => "IS_DOMAIN_INTRODUCED",
        _ => type.ToString().ToUpperInvariant(),
    };

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw new PvRingException("The store connection is closed.", failure);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] header = new byte[XenStoreWire.HeaderSize];
        Exception failure;
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header, _closing.Token).ConfigureAwait(false);
                (uint type, uint requestId, _, uint length) = XenStoreWire.ReadHeader(header);
                if (length > XenStoreLimits.PayloadMax)
                {
                    throw new PvRingProtocolException($"The store sent a message with an oversized payload: type={type} len={length}.");
                }

                byte[] payload = length == 0 ? [] : new byte[length];
                await _stream.ReadExactlyAsync(payload, _closing.Token).ConfigureAwait(false);
                if (type == (uint)XenStoreMessageType.WatchEvent)
                {
                    _counters.OnWatchEvent();
                    List<string> parts = XenStoreWire.SplitStrings(payload);
                    if (parts.Count >= 2 && _watches.TryGetValue(parts[1], out Channel<XenStoreWatchEvent>? events))
                    {
                        events.Writer.TryWrite(new XenStoreWatchEvent(parts[0], parts[1]));
                    }
                }
                else if (_pending.TryGetValue(requestId, out TaskCompletionSource<(uint, byte[])>? waiting))
                {
                    waiting.TrySetResult((type, payload));
                }
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            failure = _closing.IsCancellationRequested
                ? new ObjectDisposedException(nameof(XenStoreClient))
                : new PvRingException("The store closed the connection.", e);
        }
        catch (PvRingProtocolException e)
        {
            failure = e;
            _socket.Dispose();
        }

        _failure = failure;
        if (!_closing.IsCancellationRequested)
        {
            _counters.OnDisconnect();
        }

        StoreLog.ClientEnded(_options.Logger ?? NullLogger.Instance, failure.Message);
        foreach (TaskCompletionSource<(uint, byte[])> waiting in _pending.Values)
        {
            waiting.TrySetException(new PvRingException("The store connection closed before the reply.", failure));
        }

        foreach (Channel<XenStoreWatchEvent> events in _watches.Values)
        {
            events.Writer.TryComplete(failure);
        }
    }
}
