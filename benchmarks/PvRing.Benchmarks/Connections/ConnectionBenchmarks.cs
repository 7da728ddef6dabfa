// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.Benchmarks.Connections;

/// <summary>
/// The application API's per-packet cost and allocations, both ends in one process: <c>SendAsync</c> and
/// <c>ReceiveAsync</c> completing synchronously (the ring has room, the packet is there), and a <c>ReceiveAsync</c> that
/// has to wait (it arms the ring, awaits the event channel, and is completed by the peer's notification through the
/// event dispatcher). The point is <c>Allocated</c>: 0 B per packet on both paths.
/// </summary>
[BenchmarkCategory("Connections")]
public class ConnectionBenchmarks
{
    private HostDirectory _host = null!;
    private PvRingListener _listener = null!;
    private PvRingConnection _front = null!;
    private PvRingConnection _back = null!;
    private readonly byte[] _packet = new byte[64];
    private readonly byte[] _buffer = new byte[65535];

    [GlobalSetup]
    public void Setup()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        _host = new HostDirectory(Path.Combine(root, $"pvring-bench-connections-{Environment.ProcessId}"));
        _listener = PvRingListener.StartAsync("bench", new PvRingListenerOptions { Host = _host }).GetAwaiter().GetResult();
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("bench", new PvRingConnectionOptions { Host = _host });
        _back = _listener.AcceptAsync().AsTask().GetAwaiter().GetResult();
        _front = connecting.GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _front.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _back.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _listener.DisposeAsync().AsTask().GetAwaiter().GetResult();
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

    /// <summary>A receive that waits: started before the packet is sent, completed by the front's notification.</summary>
    [Benchmark]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveWaiting()
    {
        ValueTask<int> receiving = _back.ReceiveAsync(_buffer);
        if (!_front.TrySend(_packet))
        {
            throw new InvalidOperationException("the ring is full although every packet was taken");
        }

        return await receiving.ConfigureAwait(false);
    }
}
