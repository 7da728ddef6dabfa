// Licensed under the MIT License. See LICENSE in the repository root.

using BenchmarkDotNet.Attributes;
using PvRing.Benchmarks.Ablation;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Benchmarks.Rings;

/// <summary>
/// Per-item in-process cost of each ring variant: one thread plays both ends of a netif TX ring of the variant and moves
/// one batch of <see cref="BatchSize"/> requests and responses per invocation. No cross-core traffic: this is the
/// instruction and cache-footprint cost of a layout (the cross-core effect is <c>ringworkloads</c>' job). 0 B allocated.
/// </summary>
[BenchmarkCategory("RingVariants")]
public class RingVariantBenchmarks
{
    private HostDirectory _host = null!;
    private FrontRing<NetifTxRequest, NetifTxResponse> _front = null!;
    private BackRing<NetifTxRequest, NetifTxResponse> _back = null!;
    private NetifTxResponse[] _responses = null!;
    private OkayHandler _handler;
    private uint _sequence;

    [Params(RingFeatures.None, RingFeatures.SplitIndexes, RingFeatures.AlignedSlots, RingFeatures.SplitRings, RingFeatures.All)]
    public RingFeatures Features { get; set; }

    [Params(1, 4, 64)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        _host = new HostDirectory(Path.Combine(root, $"pvring-variant-bench-{Environment.ProcessId}"));
        var variant = new RingVariant(Features, 1);
        _front = RingFile.Create<NetifTxRequest, NetifTxResponse>(_host, "ring", variant);
        _back = RingFile.Attach<NetifTxRequest, NetifTxResponse>(_host, "ring", variant);
        _responses = new NetifTxResponse[_front.Size];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _front.Dispose();
        _back.Dispose();
        Directory.Delete(_host.Path, recursive: true);
    }

    /// <summary>Claim and fill a batch, serve it, consume the responses.</summary>
    [Benchmark]
    public int ClaimServeConsume()
    {
        using (SlotBatch<NetifTxRequest> batch = _front.ClaimRequests(BatchSize))
        {
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i] = new NetifTxRequest { Id = (ushort)(_sequence + (uint)i), Size = 64 };
            }
        }

        _sequence += (uint)BatchSize;
        _back.ServeRequests(ref _handler, int.MaxValue);
        return _front.ConsumeResponses(_responses);
    }
}
