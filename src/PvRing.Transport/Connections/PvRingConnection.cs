// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Concurrent;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using PvRing.Bus;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Platform;
using PvRing.Store;

namespace PvRing.Transport;

/// <summary>
/// One end of a PvRing connection: packets of 1 to <see cref="NetPacketLimits.MaxPacketSize"/> bytes each way, in order,
/// boundaries kept, over a negotiated netif device. A front end connects by name (<see cref="ConnectAsync"/>); a back end
/// comes from <see cref="PvRingListener.AcceptAsync"/>. The store, domains, grants and event channels are inside.
/// </summary>
/// <remarks>
/// One sender and one receiver at a time (they may be two threads): like a pipe's writer and reader, the calls of one
/// direction must not overlap. Send waits for ring space (back-pressure, nothing is dropped); receive returns 0 once the
/// peer closed and every packet it sent was taken. A peer that dies ends waiting calls with <see cref="PeerGoneException"/>
/// (within about a second, when the store notices), and a malformed packet with <see cref="PvRingProtocolException"/>.
/// With multiqueue (<see cref="NetDeviceFeatures.Queues"/> above 1) each queue of <see cref="Queues"/> is such a pair of
/// directions of its own: send on a queue chosen by flow (<see cref="SendAsync(ReadOnlyMemory{byte}, int, CancellationToken)"/>)
/// and receive on every queue, one worker each (<see cref="RunWorkers"/>); order is kept within a queue, not across them.
/// </remarks>
public sealed class PvRingConnection : IAsyncDisposable
{
    private readonly NetFrontend? _front;
    private readonly NetBackend? _back;
    private readonly PvRingQueue[] _queues;
    private readonly PvRingQueue _first;
    private readonly PvRingQueue? _single;
    private readonly Func<ValueTask> _release;
    private readonly CancellationTokenSource _peerGone = new();
    private PvRingDuplexPipe? _pipe;
    private int _disposed;
    private volatile bool _peerVanished;

    private readonly ILogger _logger;

    // One end of either kind: exactly one of front and back.
    private PvRingConnection(
        NetFrontend? front, NetBackend? back, NetDeviceFeatures features, Task<bool> peerGone, Func<ValueTask> release, ILogger? logger, int spinCount, QueuePlacer.Result placement)
    {
        _front = front;
        _back = back;
        _queues = new PvRingQueue[features.Queues];
        for (int i = 0; i < _queues.Length; i++)
        {
            _queues[i] = new PvRingQueue(this, i, front?.Queues[i], back?.Queues[i], placement.Cpus[i], spinCount);
        }

        _first = _queues[0];
        _single = _queues.Length == 1 ? _first : null;
        _release = release;
        _logger = logger ?? NullLogger.Instance;
        Features = features;
        Placement = placement.Description;
        PvRingLog.Placed(_logger, DeviceName, Placement);
        _ = CancelWhenDone(peerGone);
    }

    /// <summary>What both ends agreed.</summary>
    public NetDeviceFeatures Features { get; }

    /// <summary>The queues, <see cref="NetDeviceFeatures.Queues"/> of them; one without multiqueue.</summary>
    public IReadOnlyList<PvRingQueue> Queues => _queues;

    /// <summary>
    /// What the placement chose for the queues' workers and why, for example "2 queues on cpus 0,1 (spread over 2 CPUs);
    /// NUMA: one NUMA node here, so the front's numa-node 0 changes nothing".
    /// </summary>
    public string Placement { get; }

    /// <summary>Whether this is the end that connected (the front end) rather than the one a listener accepted.</summary>
    public bool IsFrontEnd => _front is not null;

    /// <summary>How many one-page packets <see cref="ReceivePacketAsync"/> lends in place at once (half the receiving ring, at most 64).</summary>
    internal int SlotLendBudget => _first.SlotLendBudget;

    /// <summary>Whether the peer has closed the connection or gone away.</summary>
    public bool IsPeerGone => _peerGone.IsCancellationRequested;

    /// <summary>Whether this end was disposed (its rings are unmapped).</summary>
    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// The error for a receive that ended because the peer vanished without closing (killed, or its domain released):
    /// the <see cref="PeerGoneException"/> its event channel gives when the process is dead, else a
    /// <see cref="PvRingException"/>; null when the peer closed in order (the end of the stream) or is still there.
    /// </summary>
    internal PvRingException? PeerVanishedError(EventChannel channel)
    {
        if (!_peerVanished || IsDisposed)
        {
            return null;
        }

        try
        {
            channel.ThrowIfPeerProcessDied();
        }
        catch (PeerGoneException e)
        {
            return e;
        }

        return new PvRingException($"The peer left without closing the connection (its device went away): device={DeviceName}.");
    }

    /// <summary>How many polls a wait spins before it awaits the event channel (<see cref="PvRingConnectionOptions.SpinCount"/>).</summary>
    internal int SpinCount => _first.SpinCount;

    /// <summary>The front end's (first) queue, null on a back end: the pipe's writer claims its transmit frames.</summary>
    internal NetFrontQueue? FrontQueue => _first.FrontQueue;

    /// <summary>The back end's (first) queue, null on a front end: the pipe's writer claims the receive buffers the front posted.</summary>
    internal NetBackQueue? BackQueue => _first.BackQueue;

    /// <summary>Whether the next one-page packet would be lent in place (the lend budget is not spent).</summary>
    internal bool CanLendSlot => _first.CanLendSlot;

    /// <summary>Starts giving back several lent packets at once (the pipe's reader, in <c>AdvanceTo</c>); see <see cref="PvRingQueue.BeginReleaseBatch"/>.</summary>
    internal void BeginReleaseBatch() => _first.BeginReleaseBatch();

    /// <summary>Ends <see cref="BeginReleaseBatch"/>: publishes the answers produced meanwhile.</summary>
    internal void EndReleaseBatch() => _first.EndReleaseBatch();

    /// <summary>
    /// Connects to the listener of <paramref name="name"/>, retrying while it is not there yet, for at most
    /// <see cref="PvRingConnectionOptions.ConnectTimeout"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a valid file name.</exception>
    /// <exception cref="TimeoutException">No listener answered in time.</exception>
    /// <exception cref="XenBusNegotiationException">The listener refused or did not finish the negotiation.</exception>
    /// <exception cref="PvRingException">The listener's memory exchange refused this process or did not answer (the message says why).</exception>
    public static async Task<PvRingConnection> ConnectAsync(string name, PvRingConnectionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        options ??= new PvRingConnectionOptions();
        options.Validate();
        HostDirectory directory = PvRingRendezvous.DirectoryOf(options.Host ?? HostDirectory.OpenDefault(), name);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(options.ConnectTimeout);
        int domain;
        string socket = PvRingRendezvous.SocketOf(directory);
        try
        {
            (socket, domain) = await ClaimDomainAsync(directory, bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No PvRing listener named '{name}' answered at {socket} within {options.ConnectTimeout.TotalSeconds:0.#} s.");
        }

        NetDeviceFeatures wants = options.Wants with { SplitEventChannels = true };
        CpuTopology? topology = QueuePlacer.LoadTopology(options.SysRoot);
        IReadOnlyCollection<int> allowed = options.AllowedCpus ?? CpuAffinity.GetCurrentThreadAffinity();
        int? node = options.NumaNode ?? (topology is null ? null : QueuePlacer.NodeOf(topology, allowed));
        var owned = new Stack<IAsyncDisposable>();
        try
        {
            // Shared memory is sealed memfds handed to the listener, never files (see PvRingRendezvous.MemorySocketName).
            SealedMemory memory = OwnDisposable(owned, await SealedMemory.ConnectAsync(
                directory.GetFilePath(PvRingRendezvous.MemorySocketName), domain, 0, options.ConnectTimeout, cancellationToken).ConfigureAwait(false));
            HostDirectory shared = directory.WithSealedMemory(memory);
            XenStoreClient store = Own(owned, await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket, DomainId = domain, Logger = options.Logger }, cancellationToken).ConfigureAwait(false));
            GrantDomain grants = OwnDisposable(owned, GrantDomain.Create(shared, domain, NetFrontend.DomainOptionsFor(wants)));
            EventDomain events = OwnDisposable(owned, EventDomain.Create(shared, domain));
            var frontOptions = new NetFrontendOptions
            {
                Wants = wants,
                NumaNode = node,
                BindMemoryToNumaNode = topology is { NodeIds.Count: > 1 } && node is int n && topology.NodeIds.Contains(n),
                Bus = new XenBusOptions { Timeout = options.ConnectTimeout, Logger = options.Logger },
            };
            NetFrontend front = Own(owned, await NetFrontend.ConnectAsync(store, PvRingRendezvous.DeviceOf(domain), grants, events, frontOptions, cancellationToken).ConfigureAwait(false));
            if (options.Logger is ILogger logger)
            {
                PvRingLog.Connected(logger, name, domain, front.Features);
            }

            QueuePlacer.Result placement = QueuePlacer.Place(
                topology, allowed, front.Features.Queues, options.QueuePlacement, options.QueueCpus, node, front.Features.NumaAffinity, fromLastCpu: true);
            return new PvRingConnection(front, null, front.Features, front.BackendGone, () => DisposeAllAsync(owned), options.Logger, options.SpinCount, placement);
        }
        catch
        {
            await DisposeAllAsync(owned).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Sends one packet on the first queue if its ring has room now: true when it is on its way, false (nothing sent) when
    /// the ring is full.
    /// </summary>
    /// <exception cref="ArgumentException">The packet is empty or larger than the negotiated features allow.</exception>
    /// <exception cref="PvRingException">The peer closed the connection or went away; the packet was not sent.</exception>
    /// <exception cref="ObjectDisposedException">The connection was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TrySend(ReadOnlySpan<byte> packet) => _first.TrySend(packet);

    /// <summary>Sends one packet on the queue of <paramref name="flow"/> (<see cref="QueueFor"/>) if its ring has room now.</summary>
    /// <exception cref="ArgumentException">The packet is empty or larger than the negotiated features allow.</exception>
    /// <exception cref="PvRingException">The peer closed the connection or went away; the packet was not sent.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TrySend(ReadOnlySpan<byte> packet, int flow) => QueueFor(flow).TrySend(packet);

    /// <summary>Sends one packet on the first queue, waiting for ring space as long as it takes (back-pressure: nothing is dropped).</summary>
    /// <exception cref="ArgumentException">The packet is empty or larger than the negotiated features allow.</exception>
    /// <exception cref="PvRingException">The peer closed the connection (a <see cref="PeerGoneException"/> if its process died); the packet was not sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the packet was not sent.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0027", Justification = "SendAsync(packet, flow) is the multiqueue overload the API asks for; the token stays optional here.")]
    public ValueTask SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default) => _first.SendAsync(packet, cancellationToken);

    /// <summary>
    /// Sends one packet on the queue of <paramref name="flow"/> (<see cref="QueueFor"/>), waiting for ring space: packets of
    /// one flow keep their order; packets of flows on different queues have none between them.
    /// </summary>
    /// <exception cref="ArgumentException">The packet is empty or larger than the negotiated features allow.</exception>
    /// <exception cref="PvRingException">The peer closed the connection (a <see cref="PeerGoneException"/> if its process died); the packet was not sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the packet was not sent.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ValueTask SendAsync(ReadOnlyMemory<byte> packet, int flow, CancellationToken cancellationToken) => QueueFor(flow).SendAsync(packet, cancellationToken);

    /// <summary>Sends one packet on the queue of <paramref name="flow"/>, waiting for ring space (see the overload with a token).</summary>
    /// <exception cref="ArgumentException">The packet is empty or larger than the negotiated features allow.</exception>
    /// <exception cref="PvRingException">The peer closed the connection (a <see cref="PeerGoneException"/> if its process died); the packet was not sent.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> packet, int flow) => QueueFor(flow).SendAsync(packet);

    /// <summary>
    /// The queue that carries <paramref name="flow"/>, steered as Linux does by default: a hash of the flow key
    /// (<c>jhash</c>) scaled onto the queues (<c>reciprocal_scale</c>), so a flow always takes the same queue.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public PvRingQueue QueueFor(int flow) => _queues.Length == 1 ? _first : _queues[QueueIndexOf(flow, _queues.Length)];

    /// <summary>
    /// Takes the next packet into <paramref name="buffer"/> if one waits. True: <paramref name="length"/> bytes are there.
    /// False with <paramref name="length"/> 0: nothing waits. False with a larger <paramref name="length"/>: the next packet
    /// needs that many bytes; it stays for a call with a large enough buffer.
    /// </summary>
    /// <exception cref="PvRingProtocolException">The peer sent a malformed packet; the connection is broken.</exception>
    /// <exception cref="InvalidOperationException">The connection has several queues: receive on each of <see cref="Queues"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryReceive(Span<byte> buffer, out int length) => (_single ?? ThrowSeveralQueues()).TryReceive(buffer, out length);

    /// <summary>
    /// Receives the next packet into <paramref name="buffer"/>, waiting for one; returns its length, or 0 once the peer has
    /// closed and every packet it sent has been taken.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The next packet is larger than <paramref name="buffer"/> (the message says how large); it stays for the next call.
    /// </exception>
    /// <exception cref="PeerGoneException">The peer's process died.</exception>
    /// <exception cref="PvRingProtocolException">The peer sent a malformed packet; the connection is broken.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; nothing was taken.</exception>
    /// <exception cref="InvalidOperationException">The connection has several queues: receive on each of <see cref="Queues"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        (_single ?? ThrowSeveralQueues()).ReceiveAsync(buffer, cancellationToken);

    /// <summary>
    /// Takes the next packet if one waits, lent without a copy where it fits in one page (see <see cref="PvRingPacket"/>);
    /// dispose it when done. False: nothing waits.
    /// </summary>
    /// <exception cref="PvRingProtocolException">The peer sent a malformed packet; the connection is broken.</exception>
    /// <exception cref="InvalidOperationException">The connection has several queues: receive on each of <see cref="Queues"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryReceivePacket(out PvRingPacket packet) => (_single ?? ThrowSeveralQueues()).TryReceivePacket(out packet);

    /// <summary>
    /// Receives the next packet, waiting for one, lent without a copy where it fits in one page (see
    /// <see cref="PvRingPacket"/>, and its rules: dispose it, from the receiving code, before the next receive if you like,
    /// and before the connection). An empty packet (<see cref="PvRingPacket.IsEmpty"/>) means the peer closed and every
    /// packet it sent was taken.
    /// </summary>
    /// <exception cref="PeerGoneException">The peer's process died.</exception>
    /// <exception cref="PvRingProtocolException">The peer sent a malformed packet; the connection is broken.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; nothing was taken.</exception>
    /// <exception cref="InvalidOperationException">The connection has several queues: receive on each of <see cref="Queues"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ValueTask<PvRingPacket> ReceivePacketAsync(CancellationToken cancellationToken = default) =>
        (_single ?? ThrowSeveralQueues()).ReceivePacketAsync(cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> once per queue, each on a thread of its own pinned to the queue's <see cref="PvRingQueue.Cpu"/>
    /// (not pinned when it is -1): the per-queue workers of Linux netback. The task completes when every worker has
    /// returned; it faults with their exceptions (a worker that cannot be pinned fails with a <see cref="PvRingException"/>),
    /// and is cancelled when every worker ended with an <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <param name="work">A queue's loop, usually <c>TryReceive</c>/<c>TrySend</c> until the token is cancelled or the peer is gone.</param>
    /// <param name="cancellationToken">Passed to every worker.</param>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The connection was disposed.</exception>
    public Task RunWorkers(Action<PvRingQueue, CancellationToken> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new ConcurrentQueue<Exception>();
        int running = _queues.Length;
        foreach (PvRingQueue queue in _queues)
        {
            var thread = new Thread(() =>
            {
                try
                {
                    if (queue.Cpu >= 0)
                    {
                        Pin(queue);
                    }

                    work(queue, cancellationToken);
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
                finally
                {
                    if (Interlocked.Decrement(ref running) == 0)
                    {
                        if (errors.IsEmpty)
                        {
                            done.SetResult();
                        }
                        else if (errors.All(e => e is OperationCanceledException) && cancellationToken.IsCancellationRequested)
                        {
                            done.SetCanceled(cancellationToken);
                        }
                        else
                        {
                            done.SetException(errors);
                        }
                    }
                }
            })
            {
                IsBackground = true,
                Name = $"PvRing queue {queue.Index}",
            };
            thread.Start();
        }

        return done.Task;
    }

    /// <summary>
    /// The connection as a byte stream (<see cref="System.IO.Pipelines"/>), without a copy of its own: the memory
    /// <see cref="IDuplexPipe.Output"/> hands out is the shared page a packet will travel in (one-page packets, posted by
    /// each flush), and the buffers <see cref="IDuplexPipe.Input"/> returns are the lent pages the packets arrived in (given
    /// back by <c>AdvanceTo</c>); the input completes when the peer closes. Created on first use; from then on the pipe is
    /// the connection's one sender and one receiver, so do not call the packet methods as well. Complete
    /// <see cref="IDuplexPipe.Output"/> when done writing; disposing the connection waits for what was written to be sent,
    /// then completes the input (finish with its buffers first).
    /// </summary>
    /// <exception cref="InvalidOperationException">The connection has several queues (a byte stream needs one order).</exception>
    public IDuplexPipe Pipe
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (_single is null)
            {
                throw new InvalidOperationException($"The connection has {_queues.Length} queues; a byte stream needs one order, so use a connection with one queue for Pipe.");
            }

            if (Volatile.Read(ref _pipe) is PvRingDuplexPipe pipe)
            {
                return pipe;
            }

            var created = new PvRingDuplexPipe(this);
            return Interlocked.CompareExchange(ref _pipe, created, null) ?? created;
        }
    }

    /// <summary>
    /// Closes the connection in order (the peer's receive ends after the packets already sent; with <see cref="Pipe"/>, after
    /// everything written to its output), then releases every mapping, grant, channel and file of this end.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_pipe is PvRingDuplexPipe pipe)
        {
            // The application's writes go out first; a peer that is gone ends the send loop with its error.
            await pipe.Output.CompleteAsync().ConfigureAwait(false);
            await pipe.Sending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_pipe is PvRingDuplexPipe reading)
        {
            // The packets the input holds go back while the rings are mapped; a read waiting ends when our channels close.
            reading.CompleteInputForDispose();
        }

        await _release().ConfigureAwait(false);
        if (_pipe is PvRingDuplexPipe stopped)
        {
            await stopped.Receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _peerGone.Dispose();
    }

    /// <summary>Wraps an accepted back end; <paramref name="release"/> disposes it and cleans the device up.</summary>
    internal static PvRingConnection ForBackEnd(NetBackend back, Func<ValueTask> release, ILogger? logger, int spinCount, QueuePlacer.Result placement) =>
        new(null, back, back.Features, back.FrontendGone, release, logger, spinCount, placement);

    /// <summary>Linux's default steering: <c>reciprocal_scale(jhash_1word(flow, 0), queues)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int QueueIndexOf(int flow, int queues)
    {
        // jhash_1word(a, 0) = __jhash_nwords(a, 0, 0, JHASH_INITVAL + (1 << 2)), then __jhash_final.
        uint initial = 0xdeadbeef + (1u << 2);
        uint a = (uint)flow + initial;
        uint b = initial;
        uint c = initial;
        c ^= b; c -= uint.RotateLeft(b, 14);
        a ^= c; a -= uint.RotateLeft(c, 11);
        b ^= a; b -= uint.RotateLeft(a, 25);
        c ^= b; c -= uint.RotateLeft(b, 16);
        a ^= c; a -= uint.RotateLeft(c, 4);
        b ^= a; b -= uint.RotateLeft(a, 14);
        c ^= b; c -= uint.RotateLeft(b, 24);
        return (int)(((ulong)c * (uint)queues) >> 32);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private PvRingQueue ThrowSeveralQueues() =>
        throw new InvalidOperationException($"The connection has {_queues.Length} queues: receive on each of Queues (for example with RunWorkers); order is kept within a queue only.");

    private static void Pin(PvRingQueue queue)
    {
        try
        {
            CpuAffinity.PinCurrentThread(queue.Cpu);
        }
        catch (PvRingException e)
        {
            throw new PvRingException($"Queue {queue.Index}'s worker could not be pinned to cpu {queue.Cpu}: {e.Message}", e);
        }
    }

    /// <summary>Claims a domain from the listener of <paramref name="directory"/>; returns the store's socket with it.</summary>
    private static async Task<(string Socket, int Domain)> ClaimDomainAsync(HostDirectory directory, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Looked up on every try: the listener may start, or switch to an external store, meanwhile.
            string socket = PvRingRendezvous.SocketOf(directory);
            try
            {
                await using XenStoreClient toolstack = await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket }, cancellationToken).ConfigureAwait(false);
                if (await toolstack.TryReadAsync(PvRingRendezvous.NextDomain, cancellationToken).ConfigureAwait(false) is not null)
                {
                    int domain = await PvRingRendezvous.ClaimAsync(toolstack, cancellationToken).ConfigureAwait(false);
                    string ready = $"{PvRingRendezvous.Ready}/{PvRingRendezvous.Number(domain)}";
                    await foreach (XenStoreWatchEvent _ in toolstack.WatchAsync(ready, cancellationToken).ConfigureAwait(false))
                    {
                        if (await toolstack.ExistsAsync(ready, cancellationToken).ConfigureAwait(false))
                        {
                            return (socket, domain);
                        }
                    }
                }
            }
            catch (Exception e) when (e is SocketException or IOException or (PvRingException and not PvRingProtocolException))
            {
                // No listener yet (no socket, or one left by a listener that is gone): try again shortly.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }
    }

    private static T Own<T>(Stack<IAsyncDisposable> owned, T item)
        where T : IAsyncDisposable
    {
        owned.Push(item);
        return item;
    }

    private static T OwnDisposable<T>(Stack<IAsyncDisposable> owned, T item)
        where T : IDisposable
    {
        owned.Push(new SyncDisposer(item));
        return item;
    }

    private static async ValueTask DisposeAllAsync(Stack<IAsyncDisposable> owned)
    {
        while (owned.TryPop(out IAsyncDisposable? item))
        {
            await item.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal string DeviceName => (_front?.Device ?? _back!.Device).ToString();

    /// <summary>A malformed packet from the peer: the device reports it (<c>error</c> and Closing), as netfront and netback do.</summary>
    internal void Fail(PvRingProtocolException error)
    {
        PvRingLog.ProtocolError(_logger, DeviceName, error.Message);
        _ = _front is not null ? _front.FailAsync(error) : _back!.FailAsync(error);
    }

    private async Task CancelWhenDone(Task<bool> peerGone)
    {
        await ((Task)peerGone).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        // A peer that vanished without closing (killed, its domain released): waits that end for it say so, after taking
        // what it sent. Written before the cancellation, so whoever sees the peer gone sees this too.
        _peerVanished = !peerGone.IsCompletedSuccessfully || !peerGone.Result;
        if (Volatile.Read(ref _disposed) == 0)
        {
            PvRingLog.PeerGone(_logger, DeviceName);
            try
            {
                await _peerGone.CancelAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // Disposed meanwhile: nobody waits any more.
            }
        }
    }

    /// <summary>Lets a synchronous resource sit in the list of what a connection releases.</summary>
    private sealed class SyncDisposer(IDisposable item) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            item.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
