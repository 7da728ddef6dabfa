// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using PvRing.Tests.Infrastructure;
using PvRing.Platform;
using PvRing.TestPeer;
using PvRing.Transport;

namespace PvRing.Tests.Connections;

/// <summary>
/// Multiqueue and NUMA placement through the application API (items E and H): queues x grant modes x packet sizes between
/// two processes, the keys the stock tools see, flow steering, workers and their placement on a fake two-node machine.
/// </summary>
public sealed class PvRingMultiQueueTests : IDisposable
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(120);
    private readonly string _sys = Path.Combine(Path.GetTempPath(), $"pvring-sys-{Guid.NewGuid():N}");

    public static TheoryData<int, string> QueuesByMode()
    {
        var data = new TheoryData<int, string>();
        foreach (int queues in new[] { 1, 2, 4 })
        {
            foreach (string mode in new[] { "copy", "map", "persistent", "direct", "deferred" })
            {
                data.Add(queues, mode);
            }
        }

        return data;
    }

    public void Dispose()
    {
        if (Directory.Exists(_sys))
        {
            Directory.Delete(_sys, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(QueuesByMode))]
    public async Task TwoProcesses_QueuesByGrantMode_EveryPacketOnceInOrderPerQueue(int queues, string mode)
    {
        const int Count = 60; // per queue and direction, 64 B and 65535 B alternately
        using var host = new TempHost();
        var options = new PvRingListenerOptions { Host = host.Host, Offers = PvRingListenerOptions.DefaultOffers with { Queues = 4 } };
        await using PvRingListener listener = await PvRingListener.StartAsync("mq", options);
        using ChildProcess front = ChildProcess.StartPeer("api-queues", "mq", host.Path, queues.ToString(), mode, Count.ToString());
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        Assert.Equal(queues, back.Features.Queues);
        Assert.Equal(queues, back.Queues.Count);
        Assert.Equal(NetGrantModesExtensions.Parse(mode), back.Features.GrantModes);

        long[] received = QueueExchange.Run(back, Count, TimeSpan.FromSeconds(90));
        Assert.All(received, r => Assert.Equal(Count, r));
        front.AssertExit(0, s_bound);
        Assert.Contains($"front: {string.Join(',', Enumerable.Repeat(Count, queues))} packets received per queue, every one checked", front.Output);
        Assert.Contains($"multi-queue-num-queues={queues}", front.Output);
    }

    [Fact]
    public async Task StockXenstoreLs_LiveTwoQueueConnection_ShowsQueueKeys()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("ls", new() { Host = host.Host, Offers = PvRingListenerOptions.DefaultOffers with { Queues = 2 } });
        var wants = PvRingConnectionOptions.DefaultWants with { Queues = 2, RingPageOrder = 0 };
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("ls", new() { Host = host.Host, Wants = wants });
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        await using PvRingConnection front = await connecting.WaitAsync(s_bound);

        var info = new ProcessStartInfo("/usr/bin/xenstore-ls") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("/local/domain");
        info.Environment["XENSTORED_PATH"] = Path.Combine(listener.DirectoryPath, "xenstored.sock");
        using var tool = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(s_bound);
        string output = await tool.StandardOutput.ReadToEndAsync(timeout.Token);
        await tool.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, tool.ExitCode);
        Assert.Contains("multi-queue-max-queues = \"2\"", output, StringComparison.Ordinal);
        Assert.Contains("multi-queue-num-queues = \"2\"", output, StringComparison.Ordinal);
        foreach (string key in new[] { "queue-0 = \"\"", "queue-1 = \"\"", "tx-ring-ref = ", "rx-ring-ref = ", "event-channel-tx = ", "event-channel-rx = " })
        {
            Assert.Contains(key, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task QueueFor_Flows_SameFlowSameQueueAndEveryQueueUsed()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("flows", new() { Host = host.Host, Offers = PvRingListenerOptions.DefaultOffers with { Queues = 4 } });
        var wants = PvRingConnectionOptions.DefaultWants with { Queues = 4, RingPageOrder = 0 };
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("flows", new() { Host = host.Host, Wants = wants });
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        await using PvRingConnection front = await connecting.WaitAsync(s_bound);

        var perQueue = new int[4];
        for (int flow = 0; flow < 4000; flow++)
        {
            PvRingQueue queue = front.QueueFor(flow);
            Assert.Same(queue, front.QueueFor(flow));
            perQueue[queue.Index]++;
        }

        Assert.All(perQueue, n => Assert.InRange(n, 800, 1200)); // a hash spreads flows about evenly

        // A flow's packets arrive in order on its queue's receiving side.
        int[] flows = [7, 8, 9, 10];
        for (int i = 0; i < 20; i++)
        {
            foreach (int flow in flows)
            {
                await front.SendAsync(new byte[] { (byte)flow, (byte)i }, flow);
            }
        }

        var next = new Dictionary<int, int>();
        var buffer = new byte[16];
        foreach (PvRingQueue queue in back.Queues)
        {
            while (queue.TryReceive(buffer, out int length))
            {
                Assert.Equal(2, length);
                int flow = buffer[0];
                Assert.Equal(front.QueueFor(flow).Index, queue.Index);
                Assert.Equal(next.GetValueOrDefault(flow), buffer[1]);
                next[flow] = buffer[1] + 1;
            }
        }

        Assert.All(flows, flow => Assert.Equal(20, next[flow]));
    }

    [Fact]
    public async Task ConnectionLevelReceive_SeveralQueues_ClearErrorAndPipeRefused()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("several", new() { Host = host.Host, Offers = PvRingListenerOptions.DefaultOffers with { Queues = 2 } });
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("several", new() { Host = host.Host, Wants = PvRingConnectionOptions.DefaultWants with { Queues = 2, RingPageOrder = 0 } });
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        await using PvRingConnection front = await connecting.WaitAsync(s_bound);
        var e = Assert.Throws<InvalidOperationException>(() => back.TryReceive(new byte[8], out _));
        Assert.Contains("2 queues: receive on each of Queues", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await back.ReceiveAsync(new byte[8]));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await back.ReceivePacketAsync());
        Assert.Throws<InvalidOperationException>(() => back.Pipe);

        // Without a flow, a send goes on the first queue.
        await front.SendAsync(new byte[] { 42 });
        Assert.True(back.Queues[0].TryReceive(new byte[8], out int length));
        Assert.Equal(1, length);
    }

    [Fact]
    public async Task RunWorkers_OneThreadPerQueueOnItsCpu_AndAPinThatFailsIsReported()
    {
        using var host = new TempHost();
        int cpu = CpuAffinity.GetCurrentThreadAffinity()[^1];
        var offers = PvRingListenerOptions.DefaultOffers with { Queues = 2 };
        await using PvRingListener listener = await PvRingListener.StartAsync("workers", new() { Host = host.Host, Offers = offers, QueueCpus = [cpu] });
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("workers", new() { Host = host.Host, Wants = PvRingConnectionOptions.DefaultWants with { Queues = 2, RingPageOrder = 0 }, QueueCpus = [1000] });
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        await using PvRingConnection front = await connecting.WaitAsync(s_bound);
        Assert.All(back.Queues, q => Assert.Equal(cpu, q.Cpu));
        Assert.Contains("(given)", back.Placement, StringComparison.Ordinal);

        var seen = new System.Collections.Concurrent.ConcurrentDictionary<int, (int Cpu, int Thread)>();
        await back.RunWorkers((queue, _) => seen[queue.Index] = (CpuAffinity.GetCurrentCpu(), Environment.CurrentManagedThreadId)).WaitAsync(s_bound);
        Assert.Equal(2, seen.Count);
        Assert.All(seen.Values, v => Assert.Equal(cpu, v.Cpu));
        Assert.NotEqual(seen[0].Thread, seen[1].Thread);

        // The front asked for a CPU this machine does not have: each worker fails, saying so.
        Exception failed = await Assert.ThrowsAnyAsync<Exception>(() => front.RunWorkers((_, _) => { }).WaitAsync(s_bound));
        Assert.Contains("could not be pinned to cpu 1000", failed.Message, StringComparison.Ordinal);

        // A worker's exception faults the task; cancellation of every worker cancels it.
        await Assert.ThrowsAsync<InvalidDataException>(() => back.RunWorkers((q, _) => throw new InvalidDataException($"queue {q.Index}")).WaitAsync(s_bound));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => back.RunWorkers((_, token) => token.ThrowIfCancellationRequested(), cancelled.Token).WaitAsync(s_bound));
    }

    [Fact]
    public async Task Listener_FakeTwoNodeMachine_PlacesTheWorkersOnTheFrontsNode()
    {
        WriteTwoNodeMachine();
        using var host = new TempHost();
        int[] all = [0, 1, 2, 3, 4, 5, 6, 7];
        var options = new PvRingListenerOptions { Host = host.Host, Offers = PvRingListenerOptions.DefaultOffers with { Queues = 4 }, SysRoot = _sys, AllowedCpus = all };
        await using PvRingListener listener = await PvRingListener.StartAsync("numa", options);
        var wants = PvRingConnectionOptions.DefaultWants with { Queues = 4, RingPageOrder = 0 };
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("numa", new() { Host = host.Host, Wants = wants, NumaNode = 1 });
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        await using PvRingConnection front = await connecting.WaitAsync(s_bound);

        Assert.True(back.Features.NumaAffinity);
        Assert.Equal([4, 6, 5, 7], back.Queues.Select(q => q.Cpu)); // node 1's cores 4/5 and 6/7: one thread of each core first
        Assert.Contains("on node 1, the front's numa-node (feature-numa-affinity)", back.Placement, StringComparison.Ordinal);
        Assert.All(front.Queues, q => Assert.Equal(-1, q.Cpu)); // a front pins nothing unless asked
    }

    [Fact]
    public void Place_FakeTwoNodeMachine_SpreadsOverTheNodeOrEverything()
    {
        WriteTwoNodeMachine();
        CpuTopology topology = CpuTopology.LoadFrom(_sys);
        int[] all = [0, 1, 2, 3, 4, 5, 6, 7];

        QueuePlacer.Result onNode0 = QueuePlacer.Place(topology, all, 2, PvRingQueuePlacement.Spread, null, frontNode: 0, numaAffinity: true);
        Assert.Equal([0, 2], onNode0.Cpus);
        QueuePlacer.Result withoutAffinity = QueuePlacer.Place(topology, all, 4, PvRingQueuePlacement.Spread, null, frontNode: 1, numaAffinity: false);
        Assert.Equal([0, 2, 4, 6], withoutAffinity.Cpus); // every core once, over both nodes
        Assert.Contains("feature-numa-affinity not agreed", withoutAffinity.Description, StringComparison.Ordinal);
        QueuePlacer.Result wrapped = QueuePlacer.Place(topology, [4, 5], 3, PvRingQueuePlacement.Spread, null, frontNode: 0, numaAffinity: true);
        Assert.Equal([4, 5, 4], wrapped.Cpus);
        Assert.Contains("has none of this process's CPUs", wrapped.Description, StringComparison.Ordinal);
        Assert.Contains("some share one", wrapped.Description, StringComparison.Ordinal);
        QueuePlacer.Result front = QueuePlacer.Place(topology, all, 2, PvRingQueuePlacement.Spread, null, frontNode: null, numaAffinity: false, fromLastCpu: true);
        Assert.Equal([7, 5], front.Cpus); // the front's spread runs from the other end: queue i's ends on different cores
        Assert.Equal(1, QueuePlacer.NodeOf(topology, [5, 6]));
        Assert.Null(QueuePlacer.NodeOf(topology, [1, 5]));
    }

    [Fact]
    public void Place_OneNodeMachine_SaysTheNodeChangesNothing()
    {
        Write("devices/system/cpu/online", "0-1");
        for (int cpu = 0; cpu < 2; cpu++)
        {
            WriteCpu(cpu, core: cpu, siblings: $"{cpu}");
        }

        Write("devices/system/node/node0/cpulist", "0-1");
        Write("devices/system/node/node0/distance", "10");
        QueuePlacer.Result result = QueuePlacer.Place(CpuTopology.LoadFrom(_sys), [0, 1], 2, PvRingQueuePlacement.Spread, null, frontNode: 0, numaAffinity: true);
        Assert.Equal([0, 1], result.Cpus);
        Assert.Contains("one NUMA node here, so the front's numa-node 0 changes nothing", result.Description, StringComparison.Ordinal);
    }

    /// <summary>Node 0: cores 0,1 (threads cpu0/1 and cpu2/3); node 1: cores 2,3 (cpu4/5, cpu6/7). Siblings are adjacent ids.</summary>
    private void WriteTwoNodeMachine()
    {
        Write("devices/system/cpu/online", "0-7");
        for (int cpu = 0; cpu < 8; cpu++)
        {
            int first = cpu & ~1;
            WriteCpu(cpu, core: cpu / 2, siblings: $"{first},{first + 1}");
        }

        Write("devices/system/node/node0/cpulist", "0-3");
        Write("devices/system/node/node0/distance", "10 21");
        Write("devices/system/node/node1/cpulist", "4-7");
        Write("devices/system/node/node1/distance", "21 10");
    }

    private void WriteCpu(int cpu, int core, string siblings)
    {
        Write($"devices/system/cpu/cpu{cpu}/topology/core_id", $"{core}\n");
        Write($"devices/system/cpu/cpu{cpu}/topology/physical_package_id", "0\n");
        Write($"devices/system/cpu/cpu{cpu}/topology/thread_siblings_list", $"{siblings}\n");
    }

    private void Write(string relative, string text)
    {
        string path = Path.Combine(_sys, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
