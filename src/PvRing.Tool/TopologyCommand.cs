// Licensed under the MIT License. See LICENSE in the repository root.

using System.CommandLine;
using PvRing.Platform;

namespace PvRing.Tool;

/// <summary><c>pvring topology [--sys DIR]</c>: CPUs, cores, SMT, sockets and NUMA nodes, and the placements the harness and multiqueue would use.</summary>
internal static class TopologyCommand
{
    public static Command Create()
    {
        var sys = new Option<string?>("--sys") { Description = "A sysfs root to read instead of /sys (a copy of another machine's, say)." };
        var command = new Command("topology", "Show the machine's CPUs, cores, SMT siblings, sockets and NUMA nodes, the CPU pairs a two-process measurement can use, and the order queues spread over.")
        {
            sys,
        };
        command.SetAction(result => Run(result.GetValue(sys)));
        return command;
    }

    private static int Run(string? sys)
    {
        CpuTopology topology;
        try
        {
            topology = sys is null ? CpuTopology.Load() : CpuTopology.LoadFrom(sys);
        }
        catch (Exception e) when (e is PvRingException or PlatformNotSupportedException or IOException)
        {
            Console.Error.WriteLine($"pvring topology: {e.Message}");
            return ExitCodes.Failure;
        }

        Console.WriteLine($"machine: {topology}");
        foreach (LogicalCpu cpu in topology.Cpus)
        {
            Console.WriteLine($"  {cpu}, siblings {string.Join(',', cpu.ThreadSiblings)}");
        }

        if (topology.NodeIds.Count > 1)
        {
            Console.WriteLine("NUMA distances:");
            foreach (int from in topology.NodeIds)
            {
                Console.WriteLine($"  node {from}: {string.Join(' ', topology.NodeIds.Select(to => topology.GetNodeDistance(from, to)))}");
            }
        }

        Console.WriteLine("CPU pairs for two-process measurements:");
        foreach (CpuPairKind kind in Enum.GetValues<CpuPairKind>())
        {
            Console.WriteLine($"  {topology.FindPair(kind)}");
        }

        IReadOnlyList<int> allowed = sys is null ? CpuAffinity.GetCurrentThreadAffinity() : [];
        Console.WriteLine($"multiqueue spread order (this process's CPUs): {string.Join(',', topology.GetSpreadOrder(allowed))}");
        foreach (int node in topology.NodeIds)
        {
            Console.WriteLine($"  on node {node} (feature-numa-affinity, front on node {node}): {string.Join(',', topology.GetSpreadOrder(allowed, node))}");
        }

        return ExitCodes.Success;
    }
}
