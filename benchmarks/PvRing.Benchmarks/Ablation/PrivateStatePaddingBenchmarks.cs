// Licensed under the MIT License. See LICENSE in the repository root.

using BenchmarkDotNet.Attributes;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Benchmarks.Ablation;

/// <summary>
/// Padded-vs-unpadded ablation of the rings' private state (<c>req_prod_pvt</c>, <c>rsp_cons</c>, the cached peer index):
/// a front on the benchmark thread and a back on a second thread stream netif TX requests through one classic ring in one
/// process, with the two ring objects allocated back to back (<see cref="PrivateStatePlacement.Adjacent"/>) or with a
/// 128-byte filler between them (<see cref="PrivateStatePlacement.Padded"/>). Each end writes only its own object, so any
/// difference is false sharing or adjacent-line prefetch between the two private states, not the shared ring.
/// </summary>
/// <remarks>
/// The GC keeps allocation order when it compacts, so adjacent objects stay adjacent. A ring object is larger than a line,
/// so "adjacent" puts the two private states about one object apart: the ablation measures whether that suffices.
/// Needs two CPUs; on one the back thread and the front take turns and the figure means nothing.
/// </remarks>
[BenchmarkCategory("Ablation")]
public class PrivateStatePaddingBenchmarks
{
    private const int Requests = 1 << 16;

    private HostDirectory _host = null!;
    private SharedMemoryFile _memory = null!;
    private FrontRing<NetifTxRequest, NetifTxResponse> _creator = null!;
    private FrontRing<NetifTxRequest, NetifTxResponse> _front = null!;
    private BackRing<NetifTxRequest, NetifTxResponse> _back = null!;
    private byte[]? _filler;
    private Thread _backThread = null!;
    private volatile bool _stop;
    private uint _sequence;

    [Params(PrivateStatePlacement.Adjacent, PrivateStatePlacement.Padded)]
    public PrivateStatePlacement Placement { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        _host = new HostDirectory(Path.Combine(root, $"pvring-ablation-{Environment.ProcessId}"));
        _creator = RingFile.Create<NetifTxRequest, NetifTxResponse>(_host, "ring", RingVariant.Classic(0));
        _memory = _host.OpenFile("ring");
        RingGeometry geometry = SharedRingView.Classic<NetifTxRequest, NetifTxResponse>(0);
        var frontView = new SharedRingView(_memory, 0, geometry, 12, 4);
        var backView = new SharedRingView(_memory, 0, geometry, 12, 4);
        MappingLease frontLease = _memory.Lease();
        MappingLease backLease = _memory.Lease();

        // Nothing else is allocated between the two ring objects but the filler, if any.
        _front = new FrontRing<NetifTxRequest, NetifTxResponse>(frontView, frontLease, initialize: false, startIndex: 0);
        _filler = Placement == PrivateStatePlacement.Padded ? new byte[128 - 24] : null;
        _back = new BackRing<NetifTxRequest, NetifTxResponse>(backView, backLease, startIndex: 0);
        _backThread = new Thread(Serve) { IsBackground = true, Name = "ablation back" };
        _backThread.Start();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        if (!_backThread.Join(TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException("The back thread did not stop.");
        }

        GC.KeepAlive(_filler);
        _front.Dispose();
        _back.Dispose();
        _creator.Dispose();
        _memory.Dispose();
        Directory.Delete(_host.Path, recursive: true);
    }

    /// <summary>Streams 65,536 requests with the ringpair batch policy (fill every free slot, consume every response).</summary>
    [Benchmark(OperationsPerInvoke = Requests)]
    public long Stream()
    {
        var consumer = default(CountingConsumer);
        long sent = 0;
        while (consumer.Count < Requests)
        {
            int room = (int)Math.Min(_front.FreeRequests, Requests - sent);
            if (room > 0)
            {
                using SlotBatch<NetifTxRequest> batch = _front.ClaimRequests(room);
                for (int i = 0; i < batch.Count; i++)
                {
                    batch[i] = new NetifTxRequest { Id = (ushort)(_sequence + (uint)i), Size = 64 };
                }

                _sequence += (uint)room;
                sent += room;
            }

            if (_front.ConsumeResponses(ref consumer, int.MaxValue) == 0 && room == 0)
            {
                Thread.SpinWait(1);
            }
        }

        return consumer.Count;
    }

    private void Serve()
    {
        var handler = default(OkayHandler);
        while (!_stop)
        {
            if (_back.ServeRequests(ref handler, int.MaxValue) == 0)
            {
                Thread.SpinWait(1);
            }
        }
    }
}
