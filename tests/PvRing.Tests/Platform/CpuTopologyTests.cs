// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Platform;

namespace PvRing.Tests.Platform;

public sealed class CpuTopologyTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"pvring-sys-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void LoadFrom_TwoSocketTwoNodeSmtMachine_DescribesIt()
    {
        WriteTwoSocketMachine(withNodes: true);
        CpuTopology topology = CpuTopology.LoadFrom(_root);
        Assert.Equal(8, topology.Cpus.Count);
        Assert.Equal(4, topology.CoreCount);
        Assert.Equal(2, topology.PackageCount);
        Assert.Equal([0, 1], topology.NodeIds);
        Assert.Equal(21, topology.GetNodeDistance(0, 1));
        Assert.Equal(10, topology.GetNodeDistance(1, 1));
        Assert.Equal(64, topology.CacheLineSize);
        Assert.Equal([1, 5], topology.Cpus[5].ThreadSiblings);
        Assert.Equal(1, topology.Cpus[6].NodeId);
    }

    [Fact]
    public void FindPair_TwoSocketTwoNodeSmtMachine_EveryKindAvailable()
    {
        WriteTwoSocketMachine(withNodes: true);
        CpuTopology topology = CpuTopology.LoadFrom(_root);
        Assert.Equal((0, 0), Pair(topology.FindPair(CpuPairKind.SameCpu)));
        Assert.Equal((0, 4), Pair(topology.FindPair(CpuPairKind.SmtSibling)));
        Assert.Equal((0, 1), Pair(topology.FindPair(CpuPairKind.SameSocket)));
        Assert.Equal((0, 2), Pair(topology.FindPair(CpuPairKind.OtherSocket)));
        Assert.Equal((0, 2), Pair(topology.FindPair(CpuPairKind.OtherNumaNode)));
    }

    [Fact]
    public void LoadFrom_NoNodeDirectory_OneNodeAndHonestReason()
    {
        WriteTwoSocketMachine(withNodes: false);
        CpuTopology topology = CpuTopology.LoadFrom(_root);
        Assert.False(topology.HasNumaInformation);
        Assert.Equal([0], topology.NodeIds);
        Assert.Equal(10, topology.GetNodeDistance(0, 0));
        CpuPlacement placement = topology.FindPair(CpuPairKind.OtherNumaNode);
        Assert.False(placement.IsAvailable);
        Assert.Contains("no NUMA information", placement.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FindPair_SingleSocketNoSmt_ReportsWhyNotAvailable()
    {
        for (int cpu = 0; cpu < 2; cpu++)
        {
            WriteCpu(cpu, core: cpu, package: 0, siblings: $"{cpu}");
        }

        Write("devices/system/cpu/online", "0-1");
        CpuTopology topology = CpuTopology.LoadFrom(_root);
        Assert.Null(topology.CacheLineSize);
        Assert.Contains("no core has two hardware threads", topology.FindPair(CpuPairKind.SmtSibling).Reason, StringComparison.Ordinal);
        Assert.Contains("one socket only", topology.FindPair(CpuPairKind.OtherSocket).Reason, StringComparison.Ordinal);
        Assert.Equal((0, 1), Pair(topology.FindPair(CpuPairKind.SameSocket)));
    }

    [Fact]
    public void Load_ThisMachine_HasTheOnlineCpus()
    {
        CpuTopology topology = CpuTopology.Load();
        Assert.Equal(Environment.ProcessorCount, topology.Cpus.Count);
        Assert.True(topology.FindPair(CpuPairKind.SameCpu).IsAvailable);
    }

    [Fact]
    public void LoadFrom_GarbageCoreId_ThrowsNamingTheFile()
    {
        WriteCpu(0, core: 0, package: 0, siblings: "0");
        Write("devices/system/cpu/cpu0/topology/core_id", "zero");
        PvRingException e = Assert.Throws<PvRingException>(() => CpuTopology.LoadFrom(_root));
        Assert.Contains("core_id", e.Message, StringComparison.Ordinal);
    }

    private static (int, int) Pair(CpuPlacement placement)
    {
        Assert.True(placement.IsAvailable, placement.ToString());
        return (placement.First, placement.Second);
    }

    /// <summary>Linux numbering: cpu0-3 are the first threads of cores 0,1 (socket 0) and 0,1 (socket 1); cpu4-7 their siblings.</summary>
    private void WriteTwoSocketMachine(bool withNodes)
    {
        for (int cpu = 0; cpu < 8; cpu++)
        {
            int first = cpu % 4;
            WriteCpu(cpu, core: first % 2, package: first / 2, siblings: $"{first},{first + 4}");
        }

        Write("devices/system/cpu/online", "0-7");
        Write("devices/system/cpu/cpu0/cache/index0/coherency_line_size", "64");
        if (withNodes)
        {
            Write("devices/system/node/node0/cpulist", "0-1,4-5");
            Write("devices/system/node/node0/distance", "10 21");
            Write("devices/system/node/node1/cpulist", "2-3,6-7");
            Write("devices/system/node/node1/distance", "21 10");
        }
    }

    private void WriteCpu(int cpu, int core, int package, string siblings)
    {
        Write($"devices/system/cpu/cpu{cpu}/topology/core_id", $"{core}\n");
        Write($"devices/system/cpu/cpu{cpu}/topology/physical_package_id", $"{package}\n");
        Write($"devices/system/cpu/cpu{cpu}/topology/thread_siblings_list", $"{siblings}\n");
    }

    private void Write(string relative, string text)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
