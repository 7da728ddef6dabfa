// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Platform;

namespace PvRing.Transport;

/// <summary>
/// Chooses each queue's CPU (hackathon items E and H): spread over the cores the process may use, restricted to the front
/// end's NUMA node when affinity is agreed and the machine has several nodes, and says what it chose and why.
/// </summary>
internal static class QueuePlacer
{
    /// <summary>A placement: one CPU per queue (-1: not pinned) and a sentence for logs and samples.</summary>
    public readonly record struct Result(int[] Cpus, string Description);

    /// <summary>The machine's topology from <paramref name="sysRoot"/> (null: <c>/sys</c>), or null where it cannot be read (then nothing is pinned).</summary>
    public static CpuTopology? LoadTopology(string? sysRoot)
    {
        try
        {
            return sysRoot is not null ? CpuTopology.LoadFrom(sysRoot) : OperatingSystem.IsLinux() ? CpuTopology.Load() : null;
        }
        catch (Exception e) when (e is PvRingException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <param name="topology">The machine (or a fake /sys tree's); null when it could not be read: then nothing is pinned unless CPUs are given.</param>
    /// <param name="allowed">The CPUs this process may use; those outside the topology are ignored, and none means all of the topology's.</param>
    /// <param name="queues">How many queues.</param>
    /// <param name="mode">The placement asked for.</param>
    /// <param name="explicitCpus">CPUs given by the caller, used in turn; overrides <paramref name="mode"/>.</param>
    /// <param name="frontNode">The front end's <c>numa-node</c>, when it wrote one.</param>
    /// <param name="numaAffinity">Whether <c>feature-numa-affinity</c> was agreed.</param>
    /// <param name="fromLastCpu">
    /// Take the spread order from its end: the front end does, so that on one machine queue i's two ends, both spread,
    /// land on different cores where there are two.
    /// </param>
    public static Result Place(
        CpuTopology? topology, IReadOnlyCollection<int> allowed, int queues, PvRingQueuePlacement mode, IReadOnlyList<int>? explicitCpus, int? frontNode, bool numaAffinity,
        bool fromLastCpu = false)
    {
        var cpus = new int[queues];
        if (explicitCpus is { Count: > 0 })
        {
            for (int i = 0; i < queues; i++)
            {
                cpus[i] = explicitCpus[i % explicitCpus.Count];
            }

            return new Result(cpus, $"{Queues(queues)} on {List(cpus)} (given)");
        }

        if (mode == PvRingQueuePlacement.None || topology is null)
        {
            Array.Fill(cpus, -1);
            return new Result(cpus, $"{Queues(queues)}, not pinned{(topology is null && mode != PvRingQueuePlacement.None ? " (the CPU topology could not be read)" : "")}");
        }

        IReadOnlyList<int> everyAllowed = topology.GetSpreadOrder(allowed);
        if (everyAllowed.Count == 0)
        {
            everyAllowed = topology.GetSpreadOrder(); // none of the given CPUs is in this topology: use all of it
        }

        IReadOnlyList<int> chosen = everyAllowed;
        string numa;
        if (!numaAffinity)
        {
            numa = "feature-numa-affinity not agreed";
        }
        else if (frontNode is not int node)
        {
            numa = "the front end wrote no numa-node";
        }
        else if (topology.NodeIds.Count < 2)
        {
            numa = string.Create(CultureInfo.InvariantCulture, $"one NUMA node here, so the front's numa-node {node} changes nothing");
        }
        else if (topology.GetSpreadOrder(everyAllowed, node) is { Count: > 0 } onNode)
        {
            chosen = onNode;
            numa = string.Create(CultureInfo.InvariantCulture, $"on node {node}, the front's numa-node (feature-numa-affinity)");
        }
        else
        {
            numa = string.Create(CultureInfo.InvariantCulture, $"the front's numa-node {node} has none of this process's CPUs, so spread over all nodes");
        }

        List<int> order = [.. chosen];
        if (fromLastCpu)
        {
            order.Reverse();
        }

        for (int i = 0; i < queues; i++)
        {
            cpus[i] = order[i % order.Count];
        }

        string sharing = queues > order.Count ? string.Create(CultureInfo.InvariantCulture, $"; {queues} queues on {order.Count} CPUs, so some share one") : string.Empty;
        return new Result(cpus, $"{Queues(queues)} on {List(cpus)} (spread over {order.Count} CPUs{sharing}); NUMA: {numa}");
    }

    /// <summary>
    /// The NUMA node a front end reports (<c>numa-node</c>): the one node holding every CPU this process may use, or null
    /// when the machine says nothing about nodes or the CPUs span several.
    /// </summary>
    public static int? NodeOf(CpuTopology topology, IReadOnlyCollection<int> allowed)
    {
        if (!topology.HasNumaInformation)
        {
            return null;
        }

        int[] nodes = topology.Cpus.Where(c => allowed.Count == 0 || allowed.Contains(c.Id)).Select(c => c.NodeId).Distinct().ToArray();
        return nodes.Length == 1 ? nodes[0] : null;
    }

    private static string Queues(int queues) => queues == 1 ? "1 queue" : string.Create(CultureInfo.InvariantCulture, $"{queues} queues");

    private static string List(int[] cpus) => (cpus.Length == 1 ? "cpu " : "cpus ") + string.Join(',', cpus.Select(c => c.ToString(CultureInfo.InvariantCulture)));
}
