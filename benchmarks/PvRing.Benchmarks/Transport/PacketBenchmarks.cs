// Licensed under the MIT License. See LICENSE in the repository root.

using BenchmarkDotNet.Attributes;
using PvRing.Bus;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Store;
using PvRing.Transport;

namespace PvRing.Benchmarks.Transport;

/// <summary>
/// One packet through a connected netif queue, front and back in this process and on this thread (an in-process store,
/// a toolstack-created vif, every ring feature on, the grant mode of <see cref="Mode"/> offered alone so nothing falls
/// back to copy). <see cref="Transmit"/>: the front sends one packet, the back receives it and answers, the front takes
/// the answer back. <see cref="Receive"/>: the back writes one packet into a buffer the front posted, the front receives
/// it and reposts. Steady state: connected once in the global setup. The point is the memory diagnoser's column:
/// nothing on these paths may allocate, in any mode.
/// </summary>
[BenchmarkCategory("Transport")]
public class PacketBenchmarks
{
    private const int FrontDomain = 1;
    private const int BackDomain = 0;

    private HostDirectory _host = null!;
    private XenStoreServer _server = null!;
    private XenStoreClient _backStore = null!;
    private XenStoreClient _frontStore = null!;
    private GrantDomain _grants = null!;
    private EventDomain _frontEvents = null!;
    private EventDomain _backEvents = null!;
    private NetFrontend _front = null!;
    private NetBackend _back = null!;
    private NetFrontQueue _frontQueue = null!;
    private NetBackQueue _backQueue = null!;
    private byte[] _packet = null!;
    private byte[] _buffer = null!;
    private PacketCountingHandler _handler;

    [Params(NetGrantModes.Copy, NetGrantModes.Map, NetGrantModes.Persistent, NetGrantModes.DirectMap, NetGrantModes.DeferredUnmap)]
    public NetGrantModes Mode { get; set; }

    /// <summary>64 B (one slot) and 65535 B (XEN_NETIF_MAX_TX_SIZE, the 16-bit size field's limit: a 16-slot chain).</summary>
    [Params(64, NetPacketLimits.MaxPacketSize)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        _host = new HostDirectory(Path.Combine(root, $"pvring-bench-packets-{Environment.ProcessId}"));
        // No periodic liveness probe: both "domains" are this process, and the probe's timer would allocate on another
        // thread while the memory diagnoser counts the whole process.
        _server = XenStoreServer.Start(new XenStoreServerOptions { SocketPath = _host.GetFilePath("store"), ProcessProbeInterval = TimeSpan.FromHours(1) });
        _backStore = XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = _server.SocketPath }).GetAwaiter().GetResult();
        _frontStore = XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = _server.SocketPath, DomainId = FrontDomain }).GetAwaiter().GetResult();
        _backStore.IntroduceDomainAsync(FrontDomain).GetAwaiter().GetResult();
        var device = new XenBusDevice("vif", FrontDomain, BackDomain, 0);
        device.CreateAsync(_backStore).GetAwaiter().GetResult();

        NetDeviceFeatures features = NetDeviceFeatures.All with { GrantModes = Mode };
        _grants = GrantDomain.Create(_host, FrontDomain, NetFrontend.DomainOptionsFor(features));
        _frontEvents = EventDomain.Create(_host, FrontDomain);
        _backEvents = EventDomain.Create(_host, BackDomain);
        Task<NetBackend> back = NetBackend.ConnectAsync(_backStore, device, _host, _backEvents, new NetBackendOptions { Offers = features });
        _front = NetFrontend.ConnectAsync(_frontStore, device, _grants, _frontEvents, new NetFrontendOptions { Wants = features }).GetAwaiter().GetResult();
        _back = back.GetAwaiter().GetResult();
        if (_back.Features.GrantModes != Mode)
        {
            throw new InvalidOperationException($"negotiated {_back.Features}, not {Mode}");
        }

        _frontQueue = _front.Queue;
        _backQueue = _back.Queue;
        _packet = new byte[Size];
        _buffer = new byte[Size];
        _packet.AsSpan().Fill(0x5A);
        // The front posts its first receive buffers on its first receive.
        _ = _frontQueue.Receive(ref _handler);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _front.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _back.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _backEvents.Dispose();
        _frontEvents.Dispose();
        _grants.Dispose();
        _frontStore.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _backStore.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_host.Path, recursive: true);
    }

    /// <summary>TX: front sends (copy into its buffers, grant as the mode says, post the chain), back receives through the
    /// mode's mapper and answers, front completes (ends the grants, frees the ids; in deferred mode after a flush).</summary>
    [Benchmark(Baseline = true)]
    public long Transmit()
    {
        if (!_frontQueue.TrySend(_packet))
        {
            ThrowStuck("transmit");
        }

        _ = _backQueue.Receive(ref _handler, 1);
        _ = _frontQueue.CompleteTransmits();
        return _handler.Received + _handler.Touched;
    }

    /// <summary>RX: back writes into the front's posted buffers through the mode's mapper and answers with the sizes, front
    /// receives (the granted page itself) and reposts the buffers in batches.</summary>
    [Benchmark]
    public long Receive()
    {
        if (!_backQueue.TrySend(_packet))
        {
            ThrowStuck("receive");
        }

        _ = _frontQueue.Receive(ref _handler, 1);
        return _handler.Received + _handler.Touched;
    }

    /// <summary>TX into a caller's buffer: as <see cref="Transmit"/>, but the back takes the packet with <c>TryReceive</c>
    /// (one copy into the buffer) after a <c>WaitAsync</c> that finds the work waiting and completes synchronously.</summary>
    [Benchmark]
    public long TransmitIntoBuffer()
    {
        if (!_frontQueue.TrySend(_packet))
        {
            ThrowStuck("transmit");
        }

        ValueTask<EventWaitResult> ready = _backQueue.WaitAsync(NetDirections.Transmit, Timeout.InfiniteTimeSpan);
        if (!ready.IsCompletedSuccessfully || ready.Result != EventWaitResult.Signaled || !_backQueue.TryReceive(_buffer, out int length))
        {
            ThrowStuck("transmit");
            length = 0;
        }

        _ = _frontQueue.CompleteTransmits();
        return length;
    }

    private static void ThrowStuck(string direction) =>
        throw new InvalidOperationException($"the {direction} ring has no room although every earlier packet was taken");
}
