// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PvRing.Transport;

namespace PvRing.Extensions.DependencyInjection;

/// <summary>
/// The hosted service behind <c>AddPvRingServer&lt;THandler&gt;</c>: a named listener started with the host, whose
/// accepted connections each go to a handler resolved from a scope of their own.
/// </summary>
/// <remarks>
/// Design: <see cref="StartAsync"/> starts the listener before it returns, so a listener that cannot start (its name in
/// use, bad settings) fails the host's start; the accept loop then runs on its own, and every connection on a thread-pool
/// task of its own, tracked by id until it ends. <see cref="StopAsync"/> follows Kestrel's order: stop accepting, cancel
/// the handlers' token, wait for them until the host's shutdown token fires, then dispose the listener. A connection is
/// disposed only by its own task, after its handler returned and its scope was disposed: a connection disposed under a
/// handler still reading it would unmap rings in use. A handler that ignores the token past the shutdown timeout is
/// therefore abandoned with a warning (the process is about to exit), and stopping stays bounded.
/// </remarks>
internal sealed class PvRingServer : IHostedService, IAsyncDisposable
{
    /// <summary>How long <see cref="DisposeAsync"/> waits for handlers when the host never stopped the server.</summary>
    private static readonly TimeSpan s_disposeStopTimeout = TimeSpan.FromSeconds(5);

    private readonly string _name;
    private readonly Type _handlerType;
    private readonly IPvRingListenerFactory _listeners;
    private readonly IServiceScopeFactory _scopes;
    private readonly Func<IServiceProvider, IPvRingConnectionHandler> _resolve;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private PvRingListener? _listener;
    private Task _accepting = Task.CompletedTask;
    private long _lastId;
    private int _stopped;

    public PvRingServer(
        string name, Type handlerType, IPvRingListenerFactory listeners, IServiceScopeFactory scopes,
        Func<IServiceProvider, IPvRingConnectionHandler> resolve, ILogger<PvRingServer> logger)
    {
        _name = name;
        _handlerType = handlerType;
        _listeners = listeners;
        _scopes = scopes;
        _resolve = resolve;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _stopped) != 0, this);
        if (_listener is not null)
        {
            throw new InvalidOperationException($"The PvRing server '{_name}' was started already.");
        }

        _listener = await _listeners.StartAsync(_name, cancellationToken).ConfigureAwait(false);
        PvRingServerLog.Started(_logger, _name, _handlerType.Name);
        _accepting = AcceptAsync(_listener, _stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0 || _listener is null)
        {
            return;
        }

        PvRingServerLog.Stopping(_logger, _name, _connections.Count);
        // No new connection is handed out, and every handler's token is cancelled.
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _accepting.ConfigureAwait(false);
        Task[] running = [.. _connections.Values];
        try
        {
            // Each connection's task catches what its handler throws, so this waits and never throws but on the token.
            await Task.WhenAll(running).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            PvRingServerLog.Abandoned(_logger, _name, running.Count(static t => !t.IsCompleted));
        }

        // Front ends not accepted yet are closed with the listener; the connections served are closed already.
        await _listener.DisposeAsync().ConfigureAwait(false);
        PvRingServerLog.Stopped(_logger, _name);
    }

    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(s_disposeStopTimeout))
        {
            await StopAsync(timeout.Token).ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private async Task AcceptAsync(PvRingListener listener, CancellationToken stopping)
    {
        while (true)
        {
            PvRingConnection connection;
            try
            {
                connection = await listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }

            long id = ++_lastId;
            Task serving = Task.Run(() => ServeAsync(id, connection, stopping), CancellationToken.None);
            _connections[id] = serving;
            // Removed by a continuation registered after the add, so a connection that ends at once cannot stay listed.
            _ = serving.ContinueWith(
                static (_, state) =>
                {
                    (PvRingServer server, long closed) = ((PvRingServer, long))state!;
                    server._connections.TryRemove(closed, out Task? _);
                },
                (this, id), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(long id, PvRingConnection connection, CancellationToken stopping)
    {
        try
        {
            PvRingServerLog.Accepted(_logger, _name, id, connection.Features.ToString());
            AsyncServiceScope scope = _scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                IPvRingConnectionHandler handler = _resolve(scope.ServiceProvider);
                await handler.OnConnectedAsync(connection, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The host is stopping: the handler gave up as asked.
        }
        catch (Exception e)
        {
            PvRingServerLog.HandlerFailed(_logger, _name, id, e);
        }

        try
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            PvRingServerLog.Closed(_logger, _name, id);
        }
        catch (Exception e)
        {
            PvRingServerLog.CloseFailed(_logger, _name, id, e);
        }
    }
}
