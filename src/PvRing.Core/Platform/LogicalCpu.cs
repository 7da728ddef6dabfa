// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Platform;

/// <summary>One logical CPU (a hardware thread) and where it sits in the machine.</summary>
public sealed class LogicalCpu
{
    internal LogicalCpu(int id, int coreId, int packageId, int nodeId, IReadOnlyList<int> threadSiblings)
    {
        Id = id;
        CoreId = coreId;
        PackageId = packageId;
        NodeId = nodeId;
        ThreadSiblings = threadSiblings;
    }

    /// <summary>The CPU id the kernel uses (<c>cpuN</c>), the one to pin to.</summary>
    public int Id { get; }

    /// <summary>The core id (<c>topology/core_id</c>); unique only within one package.</summary>
    public int CoreId { get; }

    /// <summary>The socket (<c>topology/physical_package_id</c>).</summary>
    public int PackageId { get; }

    /// <summary>The NUMA node holding this CPU; 0 on a machine without NUMA information.</summary>
    public int NodeId { get; }

    /// <summary>All logical CPUs of the same core, this one included (<c>topology/thread_siblings_list</c>).</summary>
    public IReadOnlyList<int> ThreadSiblings { get; }

    /// <inheritdoc/>
    public override string ToString() => $"cpu{Id} (core {CoreId}, package {PackageId}, node {NodeId})";
}
