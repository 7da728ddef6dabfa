// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;

namespace PvRing.Platform;

/// <summary>
/// The machine's CPUs, cores, SMT siblings, sockets and NUMA nodes (with their distances) and its cache line
/// size, read from Linux's <c>/sys</c>. Used to place the two sides of a ring on chosen CPUs.
/// </summary>
/// <remarks>
/// Design: everything is read once into immutable lists; the reader takes the sysfs root as a parameter so
/// tests point it at a fake tree. A machine without <c>/sys/devices/system/node</c> is one NUMA node
/// (node 0, distance 10 to itself, the kernel's "local" value), not an error.
/// </remarks>
public sealed class CpuTopology
{
    /// <summary>The distance the kernel reports from a node to itself.</summary>
    public const int LocalDistance = 10;

    private readonly int[] _nodeIds;
    private readonly int[,] _distances;

    private CpuTopology(IReadOnlyList<LogicalCpu> cpus, int[] nodeIds, int[,] distances, bool hasNumaInformation, int? cacheLineSize)
    {
        Cpus = cpus;
        _nodeIds = nodeIds;
        _distances = distances;
        HasNumaInformation = hasNumaInformation;
        CacheLineSize = cacheLineSize;
    }

    /// <summary>The online logical CPUs, ascending by id.</summary>
    public IReadOnlyList<LogicalCpu> Cpus { get; }

    /// <summary>The number of physical cores (distinct package and core id pairs).</summary>
    public int CoreCount => Cpus.Select(c => (c.PackageId, c.CoreId)).Distinct().Count();

    /// <summary>The number of sockets.</summary>
    public int PackageCount => Cpus.Select(c => c.PackageId).Distinct().Count();

    /// <summary>The NUMA node ids, ascending (just 0 without NUMA information).</summary>
    public IReadOnlyList<int> NodeIds => _nodeIds;

    /// <summary>Whether the node list came from <c>/sys/devices/system/node</c> rather than the single-node default.</summary>
    public bool HasNumaInformation { get; }

    /// <summary>
    /// The cache line size in bytes from <c>cpu0/cache/index0/coherency_line_size</c>, or null when /sys does not
    /// say (some VMs and containers); callers then assume 64 on x64 and 128 on arm64.
    /// </summary>
    public int? CacheLineSize { get; }

    /// <summary>Reads the topology of this machine from <c>/sys</c>.</summary>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    public static CpuTopology Load() =>
        OperatingSystem.IsLinux() ? LoadFrom("/sys") : throw new PlatformNotSupportedException("CPU topology is read from Linux's /sys only so far.");

    /// <summary>Reads the topology from a sysfs tree rooted at <paramref name="sysRoot"/> (a copy or a fake, for tests).</summary>
    /// <exception cref="PvRingException">The tree has no CPUs or a file does not parse; the message names the file.</exception>
    public static CpuTopology LoadFrom(string sysRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(sysRoot);
        string cpuRoot = Path.Combine(sysRoot, "devices", "system", "cpu");
        int[] cpuIds = ReadCpuIds(cpuRoot);
        if (cpuIds.Length == 0)
        {
            throw new PvRingException($"No CPUs found under '{cpuRoot}'.");
        }

        (int[] nodeIds, Dictionary<int, int> nodeOfCpu, int[,] distances, bool hasNuma) = ReadNodes(Path.Combine(sysRoot, "devices", "system", "node"));
        var cpus = new List<LogicalCpu>(cpuIds.Length);
        foreach (int id in cpuIds)
        {
            string topology = Path.Combine(cpuRoot, $"cpu{id}", "topology");
            int coreId = ReadInt(Path.Combine(topology, "core_id")) ?? id;
            int packageId = ReadInt(Path.Combine(topology, "physical_package_id")) ?? 0;
            string? siblings = ReadText(Path.Combine(topology, "thread_siblings_list"));
            IReadOnlyList<int> siblingIds = siblings is null ? [id] : ParseList(siblings, Path.Combine(topology, "thread_siblings_list"));
            cpus.Add(new LogicalCpu(id, coreId, packageId, nodeOfCpu.GetValueOrDefault(id, nodeIds[0]), siblingIds));
        }

        int? lineSize = ReadInt(Path.Combine(cpuRoot, "cpu0", "cache", "index0", "coherency_line_size"));
        return new CpuTopology(cpus, nodeIds, distances, hasNuma, lineSize is > 0 ? lineSize : null);
    }

    /// <summary>The kernel's distance between two NUMA nodes (10 = local; larger is farther).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A node id is not in <see cref="NodeIds"/>.</exception>
    public int GetNodeDistance(int fromNode, int toNode)
    {
        int from = Array.IndexOf(_nodeIds, fromNode);
        int to = Array.IndexOf(_nodeIds, toNode);
        ArgumentOutOfRangeException.ThrowIfNegative(from, nameof(fromNode));
        ArgumentOutOfRangeException.ThrowIfNegative(to, nameof(toNode));
        return _distances[from, to];
    }

    /// <summary>
    /// Two CPUs in the relation <paramref name="kind"/>, the lowest ids that qualify, or a placement that says
    /// why this machine has no such pair.
    /// </summary>
    public CpuPlacement FindPair(CpuPairKind kind)
    {
        LogicalCpu? a = null;
        LogicalCpu? b = null;
        foreach (LogicalCpu first in Cpus)
        {
            foreach (LogicalCpu second in Cpus)
            {
                if (second.Id > first.Id && Matches(kind, first, second))
                {
                    (a, b) = (first, second);
                    goto Found;
                }
            }
        }

        Found:
        if (kind == CpuPairKind.SameCpu)
        {
            return CpuPlacement.Available(kind, Cpus[0].Id, Cpus[0].Id);
        }

        if (a is not null && b is not null)
        {
            return CpuPlacement.Available(kind, a.Id, b.Id);
        }

        string reason = kind switch
        {
            CpuPairKind.SmtSibling => $"no core has two hardware threads ({Cpus.Count} CPUs on {CoreCount} cores)",
            CpuPairKind.SameSocket => $"no socket has two cores ({CoreCount} cores on {PackageCount} sockets)",
            CpuPairKind.OtherSocket => $"one socket only ({Cpus.Count} CPUs)",
            CpuPairKind.OtherNumaNode => HasNumaInformation
                ? $"one NUMA node with CPUs only ({NodeIds.Count} nodes listed)"
                : "no NUMA information in /sys (treated as one node)",
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown CPU pair kind."),
        };
        return CpuPlacement.NotAvailable(kind, reason);
    }

    /// <summary>
    /// The CPUs in the order that spreads work over the machine: one thread of every core before the second thread of any
    /// (SMT siblings share a core's caches and ports), ordered by NUMA node, socket and core. Multiqueue placement takes
    /// queue i's CPU from this order.
    /// </summary>
    /// <param name="allowed">Only these CPUs (the process's affinity, say); null or empty for all.</param>
    /// <param name="node">Only the CPUs of this NUMA node; null for every node.</param>
    /// <returns>The CPU ids in spread order; empty when no CPU qualifies.</returns>
    public IReadOnlyList<int> GetSpreadOrder(IReadOnlyCollection<int>? allowed = null, int? node = null) =>
        Cpus.Where(c => (allowed is null || allowed.Count == 0 || allowed.Contains(c.Id)) && (node is null || c.NodeId == node))
            .GroupBy(c => (c.PackageId, c.CoreId))
            .OrderBy(g => g.Min(c => c.NodeId)).ThenBy(g => g.Key.PackageId).ThenBy(g => g.Key.CoreId)
            .SelectMany(g => g.OrderBy(c => c.Id).Select((c, thread) => (c.Id, Thread: thread)))
            .OrderBy(t => t.Thread) // stable: keeps the core order within each round
            .Select(t => t.Id)
            .ToArray();

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Cpus.Count} CPUs, {CoreCount} cores, {PackageCount} sockets, {NodeIds.Count} NUMA nodes{(HasNumaInformation ? string.Empty : " (no NUMA information)")}, " +
        $"cache line {(CacheLineSize is int size ? $"{size} B" : "unknown")}";

    private static bool Matches(CpuPairKind kind, LogicalCpu first, LogicalCpu second) => kind switch
    {
        CpuPairKind.SameCpu => false,
        CpuPairKind.SmtSibling => first.PackageId == second.PackageId && first.CoreId == second.CoreId,
        CpuPairKind.SameSocket => first.PackageId == second.PackageId && first.CoreId != second.CoreId,
        CpuPairKind.OtherSocket => first.PackageId != second.PackageId,
        CpuPairKind.OtherNumaNode => first.NodeId != second.NodeId,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown CPU pair kind."),
    };

    private static int[] ReadCpuIds(string cpuRoot)
    {
        string online = Path.Combine(cpuRoot, "online");
        string? text = ReadText(online);
        if (text is not null)
        {
            return ParseList(text, online);
        }

        if (!Directory.Exists(cpuRoot))
        {
            return [];
        }

        return Directory.EnumerateDirectories(cpuRoot, "cpu*")
            .Select(d => Path.GetFileName(d)[3..])
            .Where(s => s.Length > 0 && s.All(char.IsAsciiDigit))
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture))
            .Order()
            .ToArray();
    }

    private static (int[] NodeIds, Dictionary<int, int> NodeOfCpu, int[,] Distances, bool HasNuma) ReadNodes(string nodeRoot)
    {
        int[] nodeIds = Directory.Exists(nodeRoot)
            ? Directory.EnumerateDirectories(nodeRoot, "node*")
                .Select(d => Path.GetFileName(d)[4..])
                .Where(s => s.Length > 0 && s.All(char.IsAsciiDigit))
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture))
                .Order()
                .ToArray()
            : [];
        if (nodeIds.Length == 0)
        {
            return ([0], [], new int[,] { { LocalDistance } }, false);
        }

        var nodeOfCpu = new Dictionary<int, int>();
        var distances = new int[nodeIds.Length, nodeIds.Length];
        for (int i = 0; i < nodeIds.Length; i++)
        {
            string node = Path.Combine(nodeRoot, $"node{nodeIds[i]}");
            string cpuListPath = Path.Combine(node, "cpulist");
            foreach (int cpu in ParseList(ReadText(cpuListPath) ?? string.Empty, cpuListPath))
            {
                nodeOfCpu[cpu] = nodeIds[i];
            }

            // The distance file lists one value per online node, in node-id order.
            string distancePath = Path.Combine(node, "distance");
            string[] values = (ReadText(distancePath) ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            for (int j = 0; j < nodeIds.Length; j++)
            {
                distances[i, j] = values.Length == nodeIds.Length
                    ? ParseInt(values[j], distancePath)
                    : (i == j ? LocalDistance : throw new PvRingException($"'{distancePath}' lists {values.Length} distances for {nodeIds.Length} nodes."));
            }
        }

        return (nodeIds, nodeOfCpu, distances, true);
    }

    private static int[] ParseList(string text, string path)
    {
        try
        {
            return CpuList.Parse(text);
        }
        catch (FormatException e)
        {
            throw new PvRingException($"Cannot parse '{path}': {e.Message}", e);
        }
    }

    private static string? ReadText(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;

    private static int? ReadInt(string path) => ReadText(path) is string text ? ParseInt(text, path) : null;

    private static int ParseInt(string text, string path) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new PvRingException($"Cannot parse '{path}': '{text}' is not an integer.");
}
