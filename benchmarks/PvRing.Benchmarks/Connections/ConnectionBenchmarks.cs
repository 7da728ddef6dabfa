// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.Benchmarks.Connections;

/// <summary>
/// The application API's per-packet cost and allocations, both ends in one process. Synchronous: <c>SendAsync</c> with
/// <c>ReceiveAsync</c> or <c>ReceivePacketAsync</c> completing at once (the ring has room, the packet is there). Waiting,
/// on a second pair whose <c>SpinCount</c> is 0 so that every wait is the awaited one: a receive started before its packet
/// is sent, and a send started on a full ring, each completed by the peer's notification through the event dispatcher.
/// The point is <c>Allocated</c>: 0 B per packet on every path.
/// </summary>
[BenchmarkCategory("Connections")]
public class ConnectionBenchmarks
{
    private HostDirectory _host = null!;
    private PvRingListener _listener = null!;
    private PvRingListener _awaitingListener = null!;
    private PvRingConnection _front = null!;
    private PvRingConnection _back = null!;
    private PvRingConnection _awaitingFront = null!;
    private PvRingConnection _awaitingBack = null!;
    private readonly byte[] _packet = new byte[64];
    private readonly byte[] _buffer = new byte[65535];

    [GlobalSetup]
    public void Setup()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        _host = new HostDirectory(Path.Combine(root, $"pvring-bench-connections-{Environment.ProcessId}"));
        (_listener, _front, _back) = Pair("bench", spinCount: null);
        (_awaitingListener, _awaitingFront, _awaitingBack) = Pair("awaiting", spinCount: 0);

        // The waiting send starts on a full transmit ring: fill it once; each iteration frees one slot and takes it again.
        while (_awaitingFront.TrySend(_packet))
        {
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (PvRingConnection connection in new[] { _front, _back, _awaitingFront, _awaitingBack })
        {
            connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _listener.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _awaitingListener.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_host.Path, recursive: true);
    }

    /// <summary>One 64-byte packet front to back, both calls completing synchronously.</summary>
    [Benchmark(Baseline = true)]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> SendReceiveSynchronous()
    {
        await _front.SendAsync(_packet).ConfigureAwait(false);
        return await _back.ReceiveAsync(_buffer).ConfigureAwait(false);
    }

    /// <summary>
    /// One 64-byte packet front to back and its echo back to front, every call completing synchronously: the CPU a round
    /// trip costs both ends together, with every line in this core's cache (the harness's <c>apipingpong</c> adds the lines
    /// crossing cores).
    /// </summary>
    [Benchmark]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> EchoSynchronous()
    {
        await _front.SendAsync(_packet).ConfigureAwait(false);
        int length = await _back.ReceiveAsync(_buffer).ConfigureAwait(false);
        await _back.SendAsync(_buffer.AsMemory(0, length)).ConfigureAwait(false);
        return await _front.ReceiveAsync(_buffer).ConfigureAwait(false);
    }

    /// <summary>The same through the zero-copy lease: <c>ReceivePacketAsync</c>, then the packet's <c>Dispose</c>.</summary>
    [Benchmark]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> SendReceivePacketSynchronous()
    {
        await _front.SendAsync(_packet).ConfigureAwait(false);
        using PvRingPacket packet = await _back.ReceivePacketAsync().ConfigureAwait(false);
        return packet.Length;
    }

    /// <summary>A receive that awaits (the front's): started before the back sends its packet, completed by the notification.</summary>
    [Benchmark]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveWaiting()
    {
        ValueTask<int> receiving = _awaitingFront.ReceiveAsync(_buffer);
        SendNow();
        return await receiving.ConfigureAwait(false);
    }

    /// <summary>A <c>ReceivePacketAsync</c> that awaits, the same way.</summary>
    [Benchmark]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceivePacketWaiting()
    {
        ValueTask<PvRingPacket> receiving = _awaitingFront.ReceivePacketAsync();
        SendNow();
        using PvRingPacket packet = await receiving.ConfigureAwait(false);
        return packet.Length;
    }

    /// <summary>A send that awaits ring space: started on a full ring, completed when the back takes one packet.</summary>
    [Benchmark]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> SendWaiting()
    {
        ValueTask sending = _awaitingFront.SendAsync(_packet);
        if (!_awaitingBack.TryReceive(_buffer, out int length))
        {
            throw new InvalidOperationException("the full ring had no packet to take");
        }

        await sending.ConfigureAwait(false);
        return length;
    }

    // The waiting receives travel back to front: the other direction stays full for SendWaiting.
    private void SendNow()
    {
        if (!_awaitingBack.TrySend(_packet))
        {
            throw new InvalidOperationException("the ring is full although every packet was taken");
        }
    }

    private (PvRingListener Listener, PvRingConnection Front, PvRingConnection Back) Pair(string name, int? spinCount)
    {
        var listenerOptions = spinCount is int spins ? new PvRingListenerOptions { Host = _host, SpinCount = spins } : new PvRingListenerOptions { Host = _host };
        var connectOptions = spinCount is int count ? new PvRingConnectionOptions { Host = _host, SpinCount = count } : new PvRingConnectionOptions { Host = _host };
        PvRingListener listener = PvRingListener.StartAsync(name, listenerOptions).GetAwaiter().GetResult();
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync(name, connectOptions);
        PvRingConnection back = listener.AcceptAsync().AsTask().GetAwaiter().GetResult();
        return (listener, connecting.GetAwaiter().GetResult(), back);
    }
}
