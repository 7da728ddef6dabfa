// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PvRing.Bus;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Store;

namespace PvRing.Transport;

/// <summary>
/// The back end that front ends meet by name: it hosts the store, acts as the toolstack (hands each front end its own
/// domain and device, introduces the domain, cleans up after it), offers its features, and hands out one
/// <see cref="PvRingConnection"/> per front end through <see cref="AcceptAsync"/>, one after another or at once.
/// </summary>
/// <remarks>
/// The name is a private directory (0700) under the host directory: the store's socket and the memory exchange's socket
/// (0600) live there, and no shared memory: every connection's arenas, grant tables, event pages and flush pages are
/// sealed memfds passed over the exchange (see <see cref="SealedMemory"/>), so a front end cannot truncate what this
/// process maps, and a crash leaves only the two sockets, which starting again removes.
/// </remarks>
public sealed class PvRingListener : IAsyncDisposable
{
    private readonly HostDirectory _directory;
    private readonly SealedMemory _memory;
    private readonly HostDirectory _shared;
    private readonly PvRingListenerOptions _options;
    private readonly XenStoreServer? _server;
    private readonly XenStoreClient _store;
    private readonly Channel<PvRingConnection> _accepted = Channel.CreateUnbounded<PvRingConnection>();
    private readonly ConcurrentDictionary<int, Task> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _claims;
    private readonly ILogger _logger;
    private Platform.CpuTopology? _topology;
    private int _disposed;

    private PvRingListener(
        string name, HostDirectory directory, SealedMemory memory, PvRingListenerOptions options, XenStoreServer? server, XenStoreClient store)
    {
        Name = name;
        _directory = directory;
        _memory = memory;
        _shared = directory.WithSealedMemory(memory);
        _options = options;
        _server = server;
        _store = store;
        _logger = options.Logger ?? NullLogger.Instance;
        PvRingLog.Listening(_logger, name, directory.Path);
        _claims = WatchClaimsAsync(_stop.Token);
    }

    /// <summary>The name front ends connect to.</summary>
    public string Name { get; }

    /// <summary>The private directory of the name (the store's and the memory exchange's sockets; no memory files).</summary>
    public string DirectoryPath => _directory.Path;

    /// <summary>Starts listening on <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is not a valid file name.</exception>
    /// <exception cref="PvRingException">A listener of that name is already running.</exception>
    public static async Task<PvRingListener> StartAsync(string name, PvRingListenerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        options ??= new PvRingListenerOptions();
        options.Validate();
        HostDirectory directory = PvRingRendezvous.DirectoryOf(options.Host ?? HostDirectory.OpenDefault(), name);
        string socket = options.StoreSocket ?? directory.GetFilePath(PvRingRendezvous.SocketName);
        if (options.StoreSocket is null && await IsListeningAsync(socket, cancellationToken).ConfigureAwait(false))
        {
            throw new PvRingException($"A PvRing listener named '{name}' is already running at {socket}.");
        }

        XenStoreClient? store = null;
        if (options.StoreSocket is not null)
        {
            // An external store (a `pvring store` daemon): one listener per store, recorded there with its process id.
            store = await ConnectExternalAsync(name, socket, cancellationToken).ConfigureAwait(false);
        }

        XenStoreServer? server = null;
        SealedMemory? memory = null;
        try
        {
            // Nobody listens: whatever is in the directory was left by a listener and front ends that are gone.
            foreach (string stale in Directory.EnumerateFileSystemEntries(directory.Path))
            {
                File.Delete(stale);
            }

            if (store is null)
            {
                server = XenStoreServer.Start(new XenStoreServerOptions { SocketPath = socket, Logger = options.Logger });
                store = await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket, Logger = options.Logger }, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Front ends find the store through the name: a private file (0600) holding its socket's path.
                PvRingRendezvous.WriteStorePointer(directory, socket);
            }

            memory = SealedMemory.Listen(directory.GetFilePath(PvRingRendezvous.MemorySocketName), 0, options.NegotiationTimeout);
            await store.WriteAsync(PvRingRendezvous.NextDomain, PvRingRendezvous.Number(PvRingRendezvous.FirstDomain), cancellationToken).ConfigureAwait(false);
            await store.MakeDirectoryAsync(PvRingRendezvous.Claims, cancellationToken).ConfigureAwait(false);
            return new PvRingListener(name, directory, memory, options, server, store);
        }
        catch
        {
            memory?.Dispose();
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Waits for the next front end to connect and returns its connection.</summary>
    /// <exception cref="ObjectDisposedException">The listener was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<PvRingConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            throw new ObjectDisposedException(nameof(PvRingListener), e);
        }
    }

    /// <summary>
    /// Stops listening: front ends that have not been accepted yet are closed; accepted connections stay usable until
    /// disposed, but the store they negotiated through goes, so dispose them first.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _claims.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(_pending.Values).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out PvRingConnection? unaccepted))
        {
            await unaccepted.DisposeAsync().ConfigureAwait(false);
        }

        _memory.Dispose();
        if (_server is null)
        {
            // The external store stays: leave it as we found it (no listener, no pointer to it).
            _directory.Delete(PvRingRendezvous.StorePointerName); // nothing if it is gone, the directory with it
            try
            {
                await _store.RemoveAsync(PvRingRendezvous.Root, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is XenStoreException or PvRingException or IOException)
            {
                // The store went first: nothing to tidy.
            }
        }

        await _store.DisposeAsync().ConfigureAwait(false);
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
        _stop.Dispose();
    }

    /// <summary>Joins an external store as the toolstack; refuses when a live listener already uses it.</summary>
    private static async Task<XenStoreClient> ConnectExternalAsync(string name, string socket, CancellationToken cancellationToken)
    {
        XenStoreClient store;
        try
        {
            store = await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw new PvRingException($"No store answered at {socket} (PvRingListenerOptions.StoreSocket): {e.Message}", e);
        }

        try
        {
            string? owner = await store.TryReadAsync(PvRingRendezvous.ListenerKey, cancellationToken).ConfigureAwait(false);
            if (owner is not null && int.TryParse(owner, out int pid) && IsAlive(pid))
            {
                throw new PvRingException($"The store at {socket} already serves a PvRing listener (process {pid}); one listener per store.");
            }

            // A listener that died left its keys: start afresh.
            await store.RemoveAsync(PvRingRendezvous.Root, cancellationToken).ConfigureAwait(false);
            await store.WriteAsync(PvRingRendezvous.ListenerKey, PvRingRendezvous.Number(Environment.ProcessId), cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task<bool> IsListeningAsync(string socket, CancellationToken cancellationToken)
    {
        if (!File.Exists(socket))
        {
            return false;
        }

        try
        {
            await using XenStoreClient probe = await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or IOException or PvRingException)
        {
            return false;
        }
    }

    /// <summary>The toolstack's loop: every claimed domain gets its device, and its front end a back end.</summary>
    private async Task WatchClaimsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (XenStoreWatchEvent _ in _store.WatchAsync(PvRingRendezvous.Claims, cancellationToken).ConfigureAwait(false))
            {
                foreach (string entry in await _store.ListAsync(PvRingRendezvous.Claims, cancellationToken).ConfigureAwait(false))
                {
                    if (int.TryParse(entry, out int domain) && domain is >= PvRingRendezvous.FirstDomain and <= PvRingRendezvous.LastDomain)
                    {
                        // Only this loop adds, so the check and the add cannot race; a claim is served once.
                        if (!_pending.ContainsKey(domain))
                        {
                            _pending[domain] = ServeAsync(domain, cancellationToken);
                        }
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or PvRingException)
        {
            // Disposed, or the store is gone: no more front ends.
        }
    }

    private async Task ServeAsync(int domain, CancellationToken cancellationToken)
    {
        await Task.Yield();
        XenBusDevice device = PvRingRendezvous.DeviceOf(domain);
        string ready = $"{PvRingRendezvous.Ready}/{PvRingRendezvous.Number(domain)}";
        EventDomain? events = null;
        try
        {
            await _store.IntroduceDomainAsync(domain, cancellationToken).ConfigureAwait(false);

            // Only the process that claimed the domain may hand over its memory, once.
            string? claimer = await _store.TryReadAsync($"{PvRingRendezvous.Claims}/{PvRingRendezvous.Number(domain)}", cancellationToken).ConfigureAwait(false);
            if (int.TryParse(claimer, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid))
            {
                _memory.Admit(domain, pid);
            }

            await device.CreateAsync(_store, cancellationToken).ConfigureAwait(false);
            await _store.WriteAsync(ready, "1", cancellationToken).ConfigureAwait(false);
            var backOptions = new NetBackendOptions
            {
                Offers = _options.Offers with { SplitEventChannels = true },
                Bus = new XenBusOptions { Timeout = _options.NegotiationTimeout, Logger = _options.Logger },
            };

            // Each front gets an event page of its own (domain 0's, offered to it alone): what a front writes into the page
            // it was handed, its right as a sender, reaches no other front's channels. One page and one dispatcher thread
            // per connection, as the front has.
            HostDirectory shared = _shared.ForPeer(domain);
            events = EventDomain.Create(shared, 0);
            NetBackend back = await NetBackend.ConnectAsync(_store, device, shared, events, backOptions, cancellationToken).ConfigureAwait(false);
            EventDomain connectionEvents = events;
            PvRingConnection connection = PvRingConnection.ForBackEnd(back, async () =>
            {
                await back.DisposeAsync().ConfigureAwait(false);
                connectionEvents.Dispose();
                _memory.Forget(domain);
                await ForgetAsync(device, ready, domain).ConfigureAwait(false);
            }, _options.Logger, _options.SpinCount, PlaceQueues(back));
            PvRingLog.Accepted(_logger, Name, domain, back.Features);
            if (!_accepted.Writer.TryWrite(connection))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is PvRingException or OperationCanceledException)
        {
            // The front end went away or refused before connecting: forget its device.
            if (!cancellationToken.IsCancellationRequested)
            {
                PvRingLog.FrontEndFailed(_logger, Name, domain, e.Message);
            }

            events?.Dispose();
            _memory.Forget(domain);

            await ForgetAsync(device, ready, domain).ConfigureAwait(false);
        }
    }

    /// <summary>Where an accepted back end's queue workers run: the options' placement, on the front's NUMA node where that applies.</summary>
    private QueuePlacer.Result PlaceQueues(NetBackend back)
    {
        _topology ??= QueuePlacer.LoadTopology(_options.SysRoot);
        IReadOnlyCollection<int> allowed = _options.AllowedCpus ?? Platform.CpuAffinity.GetCurrentThreadAffinity();
        return QueuePlacer.Place(_topology, allowed, back.Features.Queues, _options.QueuePlacement, _options.QueueCpus, back.FrontendNumaNode, back.Features.NumaAffinity);
    }

    /// <summary>The toolstack's clean-up of a connection: its device directories and rendezvous keys leave the store.</summary>
    /// <remarks>The claim stays: a domain id is handed out once per listener, so a late watch event cannot serve it twice.</remarks>
    /// <summary>
    /// Removes what the store held for a front end that is gone: its device, its ready flag and its claim. Claims must go
    /// too: the claims directory is listed on every new claim, and a listing is one reply of at most 4096 bytes, so a
    /// listener that kept every claim stopped serving after about a thousand front ends.
    /// </summary>
    private async Task ForgetAsync(XenBusDevice device, string ready, int domain)
    {
        foreach (string path in new[] { device.BackendPath, device.FrontendPath, ready, $"{PvRingRendezvous.Claims}/{PvRingRendezvous.Number(domain)}" })
        {
            try
            {
                await _store.RemoveAsync(path).ConfigureAwait(false);
            }
            catch (PvRingException)
            {
                // Already gone, or the store is: nothing to remove.
            }
        }
    }
}
