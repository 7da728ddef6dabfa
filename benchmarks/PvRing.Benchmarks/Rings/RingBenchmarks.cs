// Licensed under the MIT License. See LICENSE in the repository root.

using BenchmarkDotNet.Attributes;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Benchmarks.Rings;

/// <summary>
/// One thread plays both ends of a classic netif TX ring (two mappings of one file, as two processes would
/// have): the instruction cost of the ring operations, without cross-core traffic. Each invocation moves one
/// batch of <see cref="BatchSize"/> requests and their responses. The memory diagnoser must show 0 B.
/// </summary>
[BenchmarkCategory("Rings")]
public class RingBenchmarks
{
    private HostDirectory _host = null!;
    private FrontRing<NetifTxRequest, NetifTxResponse> _front = null!;
    private BackRing<NetifTxRequest, NetifTxResponse> _back = null!;
    private NetifTxRequest[] _requests = null!;
    private NetifTxResponse[] _responses = null!;
    private EchoHandler _handler;
    private uint _sequence;

    [Params(1, 8, 64)]
    public int BatchSize { get; set; }

    [Params(0, 4)]
    public int Order { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        _host = new HostDirectory(Path.Combine(root, $"pvring-bench-{Environment.ProcessId}"));
        _front = RingFile.Create<NetifTxRequest, NetifTxResponse>(_host, "ring", RingVariant.Classic(Order));
        _back = RingFile.Attach<NetifTxRequest, NetifTxResponse>(_host, "ring");
        _requests = new NetifTxRequest[_back.Size];
        _responses = new NetifTxResponse[_front.Size];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _front.Dispose();
        _back.Dispose();
        Directory.Delete(_host.Path, recursive: true);
    }

    /// <summary>The batch scopes and the back's service loop: publish once per batch, copy out, answer in place.</summary>
    [Benchmark(Baseline = true)]
    public int BatchScopeAndServe()
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

    /// <summary>Copy requests out into a buffer, then claim and fill responses: two passes, as a back that queues work does.</summary>
    [Benchmark]
    public int BatchScopeConsumeThenAnswer()
    {
        using (SlotBatch<NetifTxRequest> batch = _front.ClaimRequests(BatchSize))
        {
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i] = new NetifTxRequest { Id = (ushort)(_sequence + (uint)i), Size = 64 };
            }
        }

        _sequence += (uint)BatchSize;
        int n = _back.ConsumeRequests(_requests);
        using (SlotBatch<NetifTxResponse> answers = _back.ClaimResponses(n))
        {
            for (int i = 0; i < answers.Count; i++)
            {
                answers[i] = new NetifTxResponse { Id = _requests[i].Id, Status = NetifStatus.Okay };
            }
        }

        return _front.ConsumeResponses(_responses);
    }

    /// <summary>ring.h one slot at a time: produce, push-and-check-notify, copy, respond, consume.</summary>
    [Benchmark]
    public int SingleSlotOperations()
    {
        for (int i = 0; i < BatchSize; i++)
        {
            _front.ProduceRequest(new NetifTxRequest { Id = (ushort)_sequence++, Size = 64 });
        }

        _front.PushRequestsAndCheckNotify();
        while (_back.TryConsumeRequest(out NetifTxRequest request))
        {
            _back.ProduceResponse(new NetifTxResponse { Id = request.Id, Status = NetifStatus.Okay });
        }

        _back.PushResponsesAndCheckNotify();
        int consumed = 0;
        while (_front.TryConsumeResponse(out _))
        {
            consumed++;
        }

        return consumed;
    }

    private struct EchoHandler : IRequestHandler<NetifTxRequest, NetifTxResponse>
    {
        public readonly bool TryHandle(in NetifTxRequest request, out NetifTxResponse response)
        {
            response = new NetifTxResponse { Id = request.Id, Status = NetifStatus.Okay };
            return true;
        }
    }
}
