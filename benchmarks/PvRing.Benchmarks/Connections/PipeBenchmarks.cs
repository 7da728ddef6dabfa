// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.Benchmarks.Connections;

/// <summary>
/// <see cref="PvRingConnection.Pipe"/> in one process, front writing and back reading, every call completing at once (the
/// ring has room, the bytes are there): a 64 KiB <c>WriteAsync</c> into the front's transmit frames and the back's reads
/// over the lent pages until all of it is consumed; and one page through <c>GetMemory</c>/<c>Advance</c>/<c>FlushAsync</c>.
/// The point is <c>Allocated</c>: 0 B.
/// </summary>
[BenchmarkCategory("Connections")]
public class PipeBenchmarks
{
    private readonly byte[] _chunk = new byte[64 * 1024];
    private HostDirectory _host = null!;
    private PvRingListener _listener = null!;
    private PvRingConnection _front = null!;
    private PvRingConnection _back = null!;
    private PipeWriter _output = null!;
    private PipeReader _input = null!;

    [GlobalSetup]
    public void Setup()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        _host = new HostDirectory(Path.Combine(root, $"pvring-bench-pipe-{Environment.ProcessId}"));
        _listener = PvRingListener.StartAsync("pipe", new PvRingListenerOptions { Host = _host }).GetAwaiter().GetResult();
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("pipe", new PvRingConnectionOptions { Host = _host });
        _back = _listener.AcceptAsync().AsTask().GetAwaiter().GetResult();
        _front = connecting.GetAwaiter().GetResult();
        _output = _front.Pipe.Output;
        _input = _back.Pipe.Input;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _front.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _back.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _listener.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_host.Path, recursive: true);
    }

    /// <summary>64 KiB written (16 pages, one push) and read back (the lent pages, given back in one batch).</summary>
    [Benchmark(Baseline = true)]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> Write64KiBRead()
    {
        _ = await _output.WriteAsync(_chunk).ConfigureAwait(false);
        return await ReadAsync(_chunk.Length).ConfigureAwait(false);
    }

    /// <summary>One page written in place (GetMemory, Advance, FlushAsync) and read back.</summary>
    [Benchmark]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> GetMemoryPageFlushRead()
    {
        Memory<byte> page = _output.GetMemory();
        page.Span[0] = 1;
        _output.Advance(page.Length);
        _ = await _output.FlushAsync().ConfigureAwait(false);
        return await ReadAsync(page.Length).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> ReadAsync(long bytes)
    {
        long read = 0;
        while (read < bytes)
        {
            ReadResult result = await _input.ReadAsync().ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            read += buffer.Length;
            _input.AdvanceTo(buffer.End);
        }

        return read;
    }
}
