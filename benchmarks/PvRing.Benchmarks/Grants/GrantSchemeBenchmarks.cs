// Licensed under the MIT License. See LICENSE in the repository root.

using BenchmarkDotNet.Attributes;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Platform;

namespace PvRing.Benchmarks.Grants;

/// <summary>
/// The back end's cost to read <see cref="Bytes"/> of granted data (4 KiB = one page, 64 KiB = 16 pages) under
/// each grant scheme, one thread playing both domains. Copy is the baseline. Map+unmap is a real
/// <c>mmap</c>/<c>munmap</c> per page; deferred unmap maps per page and unmaps the 16 pages in one flush per
/// operation; persistent and direct pay a lookup and a copy. The memory diagnoser must show 0 B.
/// With <see cref="BusyNeighbour"/> another thread of the process spins on a second CPU, as a back end's other
/// workers would: every <c>munmap</c> must then shoot down that CPU's TLB (an inter-processor interrupt), the
/// cost persistent grants, direct maps and batched (deferred) unmaps exist to avoid.
/// </summary>
[BenchmarkCategory("Grants")]
public class GrantSchemeBenchmarks
{
    private const ushort Front = 1;
    private const ushort Back = 0;
    private const int Pages = 16;

    private HostDirectory _host = null!;
    private GrantDomain _front = null!;
    private ForeignDomain _foreign = null!;
    private GrantCopier _copier = null!;
    private GrantUserCounters _queueCounters = null!;
    private GrantCopier _queueCopier = null!;
    private GrantMapper _mapper = null!;
    private PersistentGrantMapper _persistent = null!;
    private DirectMapper _direct = null!;
    private DeferredUnmapFrontend _flushFront = null!;
    private DeferredUnmapMapper _deferred = null!;
    private uint[] _references = null!;
    private byte[] _buffer = null!;
    private Thread? _neighbour;
    private volatile bool _stopNeighbour;

    [Params(4096, 65536)]
    public int Bytes { get; set; }

    [Params(false, true)]
    public bool BusyNeighbour { get; set; }

    private int PageCount => Bytes / XenPage.Size;

    [GlobalSetup]
    public void Setup()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        _host = new HostDirectory(Path.Combine(root, $"pvring-bench-grants-{Environment.ProcessId}"));
        _front = GrantDomain.Create(_host, Front, new GrantDomainOptions { ArenaFrames = 64 });
        _references = new uint[Pages];
        for (uint i = 0; i < Pages; i++)
        {
            _references[i] = _front.GrantAccess(Back, i, readOnly: false);
            _front.GetFrame(i).Fill((byte)i);
        }

        _flushFront = DeferredUnmapFrontend.Create(_host, Front, Back);
        _foreign = ForeignDomain.Open(_host, Back, Front);
        _copier = new GrantCopier(_foreign);
        _queueCounters = new GrantUserCounters(_foreign, "bench/grants", 0);
        _queueCopier = new GrantCopier(_foreign, counters: _queueCounters);
        _mapper = new GrantMapper(_foreign);
        _persistent = new PersistentGrantMapper(_foreign);
        _direct = new DirectMapper(_foreign);
        _deferred = new DeferredUnmapMapper(_foreign);
        _buffer = new byte[XenPage.Size];
        StartNeighbour();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stopNeighbour = true;
        _neighbour?.Join();
        _deferred.Dispose();
        _queueCounters.Dispose();
        _direct.Dispose();
        _persistent.Dispose();
        _mapper.Dispose();
        _foreign.Dispose();
        _flushFront.Dispose();
        _front.Dispose();
        Directory.Delete(_host.Path, recursive: true);
    }

    /// <summary>GNTTABOP_copy: pin, copy one page, unpin, per page.</summary>
    [Benchmark(Baseline = true)]
    public int Copy()
    {
        int sum = 0;
        for (int i = 0; i < PageCount; i++)
        {
            sum += (int)_copier.Read(_references[i], 0, _buffer);
        }

        return sum + _buffer[0];
    }

    /// <summary>
    /// As <see cref="Copy"/>, counted in a queue's own <see cref="GrantUserCounters"/> (tagged device and queue, as the
    /// transport's queues count) instead of the domain's.
    /// </summary>
    [Benchmark]
    public int CopyQueueCounted()
    {
        int sum = 0;
        for (int i = 0; i < PageCount; i++)
        {
            sum += (int)_queueCopier.Read(_references[i], 0, _buffer);
        }

        return sum + _buffer[0];
    }

    /// <summary>feature-grant-map: mmap, copy, munmap per page.</summary>
    [Benchmark]
    public int MapUnmap()
    {
        int sum = 0;
        for (int i = 0; i < PageCount; i++)
        {
            sum += (int)_mapper.Read(_references[i], 0, _buffer);
        }

        return sum + _buffer[0];
    }

    /// <summary>feature-persistent: cached mapping, copy per page.</summary>
    [Benchmark]
    public int Persistent()
    {
        int sum = 0;
        for (int i = 0; i < PageCount; i++)
        {
            sum += (int)_persistent.Read(_references[i], 0, _buffer);
        }

        return sum + _buffer[0];
    }

    /// <summary>feature-direct-map: bounds check and copy per frame.</summary>
    [Benchmark]
    public int Direct()
    {
        int sum = 0;
        for (int i = 0; i < PageCount; i++)
        {
            sum += (int)_direct.Read((uint)i, 0, _buffer);
        }

        return sum + _buffer[0];
    }

    /// <summary>feature-deferred-unmap: mmap and copy per page, one flush (the batch of munmaps) per operation.</summary>
    [Benchmark]
    public int DeferredUnmap()
    {
        int sum = 0;
        for (int i = 0; i < PageCount; i++)
        {
            sum += (int)_deferred.Map(_references[i], writable: false, out GrantHandle handle);
            _deferred.GetReadOnlySpan(handle).CopyTo(_buffer);
            _deferred.Release(handle);
        }

        _flushFront.RequestFlush();
        return sum + _deferred.ServiceFlush() + _buffer[0];
    }

    private void StartNeighbour()
    {
        IReadOnlyList<int> cpus = CpuAffinity.GetCurrentThreadAffinity();
        if (!BusyNeighbour || cpus.Count < 2)
        {
            return;
        }

        // The benchmark thread on one CPU, a spinning thread of the same process (same page tables) on another.
        CpuAffinity.PinCurrentThread(cpus[0]);
        int other = cpus[1];
        _neighbour = new Thread(() =>
        {
            CpuAffinity.PinCurrentThread(other);
            while (!_stopNeighbour)
            {
                Thread.SpinWait(64);
            }
        })
        { IsBackground = true, Name = "busy neighbour" };
        _neighbour.Start();
    }
}
