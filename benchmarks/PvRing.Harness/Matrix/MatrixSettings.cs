// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Transport;

namespace PvRing.Harness.Matrix;

/// <summary>The sizes of a matrix run: the quick preset (under five minutes on a 2-vCPU VM) or the full one.</summary>
internal sealed record MatrixSettings
{
    public required bool Quick { get; init; }

    /// <summary>The smoke preset: tiny counts that check the whole pipeline in seconds (CI), not the figures.</summary>
    public bool Smoke { get; init; }

    public required int Repeat { get; init; }

    /// <summary>Ring workloads run (by name, from <see cref="RingWorkload.All"/>).</summary>
    public required string[] Workloads { get; init; }

    /// <summary>Ring orders of the workload cells; the first is the order every item is run at, the others run classic and B+C+I.</summary>
    public required int[] Orders { get; init; }

    /// <summary>Timed requests of a ring run (divided by the workload's divisor) and warm-up requests before it.</summary>
    public required long RingCount { get; init; }

    public required long RingWarmup { get; init; }

    public required int[] PacketSizes { get; init; }

    /// <summary>Grant modes run with every feature on.</summary>
    public required NetGrantModes[] Modes { get; init; }

    /// <summary>Grant modes also run with every feature off (Xen's classic layout).</summary>
    public required NetGrantModes[] OffModes { get; init; }

    public required long PacketWarmupMs { get; init; }

    public required long PacketMs { get; init; }

    /// <summary>Round trips per wait strategy and repetition.</summary>
    public required int Rounds { get; init; }

    /// <summary>Iterations of the C round-trip baselines, requests of the C streaming ring.</summary>
    public required long NativeRoundTrips { get; init; }

    public required long NativeStreamCount { get; init; }

    /// <summary>Bytes each byte-ring baseline moves (messages = this / size, at least 20,000).</summary>
    public required long ByteRingBytes { get; init; }

    /// <summary>Round trips of the application API cell (after <see cref="ApiWarmupMs"/> of untimed ones), bytes through its pipe.</summary>
    public int ApiRounds { get; init; } = 10_000;

    public long ApiWarmupMs { get; init; } = 300;

    public long ApiStreamBytes { get; init; } = 256L << 20;

    /// <summary>The queue counts of the multiqueue cells (<c>apiqueues</c>'s measurement), and how long each sends.</summary>
    public int[] QueueCounts { get; init; } = [1, 2];

    public double QueueSeconds { get; init; } = 1;

    /// <summary>The idle measurement of a round-trip cell: the back's CPU over this long, after as long again to settle.</summary>
    public long IdleMs { get; init; } = 300;

    /// <summary>
    /// The smoke preset (<c>matrix --smoke</c>): one repetition of a few cells of each group with every baseline, at
    /// counts too small to mean anything, so that a test can check that the matrix runs and writes every output.
    /// </summary>
    public static MatrixSettings SmokeTest() => For(quick: true) with
    {
        Smoke = true,
        Repeat = 1,
        Workloads = ["fill", "pingpong"],
        Orders = [0],
        RingCount = 20_000,
        RingWarmup = 2_000,
        PacketSizes = [64],
        Modes = [NetGrantModes.Copy],
        OffModes = [],
        PacketWarmupMs = 20,
        PacketMs = 50,
        Rounds = 500,
        NativeRoundTrips = 20_000,
        NativeStreamCount = 200_000,
        ByteRingBytes = 2_000_000,
        IdleMs = 20,
        ApiRounds = 500,
        ApiWarmupMs = 20,
        ApiStreamBytes = 8L << 20,
        QueueCounts = [2],
        QueueSeconds = 0.2,
    };

    public static MatrixSettings For(bool quick) => quick
        ? new MatrixSettings
        {
            Quick = true,
            Repeat = 5,
            Workloads = ["fill", "one", "pingpong"],
            Orders = [0, 4],
            RingCount = 2_000_000,
            RingWarmup = 200_000,
            PacketSizes = [64, 1500, NetPacketLimits.MaxPacketSize],
            Modes = [NetGrantModes.Copy, NetGrantModes.Map, NetGrantModes.Persistent, NetGrantModes.DirectMap],
            OffModes = [NetGrantModes.Persistent, NetGrantModes.DirectMap],
            PacketWarmupMs = 100,
            PacketMs = 200,
            Rounds = 10_000,
            NativeRoundTrips = 500_000,
            NativeStreamCount = 5_000_000,
            ByteRingBytes = 200_000_000,
        }
        : new MatrixSettings
        {
            Quick = false,
            Repeat = 5,
            Workloads = [.. RingWorkload.All.Select(w => w.Name)],
            Orders = [0, 2, 4],
            RingCount = 4_000_000,
            RingWarmup = 400_000,
            PacketSizes = [64, 1500, NetPacketLimits.MaxPacketSize],
            Modes = [NetGrantModes.Copy, NetGrantModes.Map, NetGrantModes.Persistent, NetGrantModes.DirectMap, NetGrantModes.DeferredUnmap],
            OffModes = [NetGrantModes.Copy, NetGrantModes.Persistent, NetGrantModes.DirectMap],
            PacketWarmupMs = 200,
            PacketMs = 500,
            Rounds = 20_000,
            NativeRoundTrips = 2_000_000,
            NativeStreamCount = 20_000_000,
            ByteRingBytes = 2_000_000_000,
            ApiRounds = 50_000,
            ApiWarmupMs = 1_500,
            ApiStreamBytes = 1L << 30,
            QueueCounts = [1, 2, 4],
            QueueSeconds = 2,
        };
}
