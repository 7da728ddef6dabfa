// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Memory;
using PvRing.Rings;
using PvRing.Transport;

namespace PvRing.Harness.Matrix;

/// <summary>
/// The cells of one placement: the baselines, then classic vs each item alone vs all items over the ring workloads
/// and orders (12-byte descriptors), the grant modes over the packet sizes (all features on, and the classic layout),
/// and the wait strategies of a round trip. Every cell names the references its figures are divided by.
/// </summary>
internal static class MatrixPlan
{
    private const int DescriptorBytes = 12; // sizeof(netif_tx_request)
    private const int RoundTripBytes = 8;
    private const int MemcpyBytes = 65536;

    private static readonly (RingFeatures Features, string Item)[] s_items =
    [
        (RingFeatures.None, "classic"),
        (RingFeatures.SplitIndexes, "B"),
        (RingFeatures.AlignedSlots, "C"),
        (RingFeatures.SplitRings, "I"),
        (RingFeatures.All, "B+C+I"),
    ];

    public static List<MatrixCell> Build(MatrixSettings settings)
    {
        var cells = new List<MatrixCell>();
        int[] byteRingSizes = [.. settings.PacketSizes.Prepend(64).Distinct()];
        int[] streamOrders = [.. settings.Orders.Distinct()];
        AddBaselines(cells, settings, byteRingSizes, streamOrders);
        foreach (string name in settings.Workloads)
        {
            RingWorkload workload = RingWorkload.All.Single(w => w.Name == name);
            int baseOrder = workload.Name == "burst" ? Math.Max(settings.Orders[0], 2) : settings.Orders[0];
            string classic = RingId(workload, "classic", baseOrder);
            foreach ((RingFeatures features, string item) in s_items)
            {
                cells.Add(RingCell(workload, features, item, baseOrder, classic));
            }

            foreach (int order in settings.Orders.Where(o => o > baseOrder))
            {
                cells.Add(RingCell(workload, RingFeatures.None, "A", order, classic));
                cells.Add(RingCell(workload, RingFeatures.All, "A+B+C+I", order, classic));
            }
        }

        foreach (int size in settings.PacketSizes)
        {
            foreach (NetGrantModes mode in settings.Modes)
            {
                cells.Add(PacketCell(PacketCase.OfRing(mode, true, size), settings.OffModes.Contains(mode)));
            }

            foreach (NetGrantModes mode in settings.OffModes)
            {
                cells.Add(PacketCell(PacketCase.OfRing(mode, false, size), false));
            }
        }

        cells.Add(RoundTripCell("rt/block", 0, "spin-then-block", "rt/spin"));
        cells.Add(RoundTripCell("rt/spin", 1, "busy-spin", null));
        AddApplication(cells, settings);
        return cells;
    }

    private static string RingId(RingWorkload workload, string item, int order) => string.Create(CultureInfo.InvariantCulture, $"ring/{workload.Name}/{item}/o{order}");

    private static string Stream(int order) => string.Create(CultureInfo.InvariantCulture, $"c/xenring-stream/o{order}");

    private static string ByteRing(int size) => string.Create(CultureInfo.InvariantCulture, $"c/bytering/{size}");

    private static string SocketStream(int size) => string.Create(CultureInfo.InvariantCulture, $"uds/stream/{size}");

    private static MatrixCell RingCell(RingWorkload workload, RingFeatures features, string item, int order, string classic)
    {
        bool roundTrip = workload.Outstanding == 1;
        return new MatrixCell
        {
            Id = RingId(workload, item, order),
            Group = MatrixGroup.Ring,
            Label = string.Create(CultureInfo.InvariantCulture, $"{workload.Name} {item} order {order}"),
            Item = item,
            Workload = workload.Name,
            Order = order,
            Message = "12 B descriptor",
            MessageBytes = DescriptorBytes,
            IsRoundTrip = roundTrip,
            Classic = item == "classic" ? null : classic,
            CRing = roundTrip ? "c/xenring-rt" : Stream(order),
            ByteRing = roundTrip ? null : ByteRing(64),
            Limit = roundTrip ? "c/cacheline" : "c/memcpy",
            Socket = roundTrip ? "uds/rt" : SocketStream(64),
            RingVariant = new RingVariant(features, order, RingSlotKind.Network),
            RingWorkload = workload,
        };
    }

    private static MatrixCell PacketCell(PacketCase packet, bool hasClassic) => new()
    {
        Id = $"packet/{packet.Size}/{packet.Key}",
        Group = MatrixGroup.Packet,
        Label = string.Create(CultureInfo.InvariantCulture, $"{packet.Size} B {packet.Label}"),
        Item = packet.AllFeatures ? "all on" : "classic (all off)",
        Order = packet.AllFeatures ? NetDeviceFeatures.All.RingPageOrder : 0,
        Message = string.Create(CultureInfo.InvariantCulture, $"{packet.Size} B packet"),
        MessageBytes = packet.Size,
        GrantMode = packet.Mode.ToName(),
        Classic = hasClassic ? $"packet/{packet.Size}/{packet.Mode.ToName()}-off" : null,
        CRing = Stream(0),
        ByteRing = ByteRing(packet.Size),
        Limit = "c/memcpy",
        Socket = SocketStream(packet.Size),
        Packet = packet,
    };

    private static MatrixCell RoundTripCell(string id, int mode, string wait, string? classic) => new()
    {
        Id = id,
        Group = MatrixGroup.RoundTrip,
        Label = $"8 B round trip, {wait}",
        Item = "classic",
        Order = 0,
        Message = "8 B request",
        MessageBytes = RoundTripBytes,
        Wait = wait,
        IsRoundTrip = true,
        Classic = classic,
        CRing = "c/xenring-rt",
        Limit = "c/cacheline",
        Socket = "uds/rt",
        RoundTripMode = mode,
    };

    /// <summary>
    /// The application API with the connection's defaults (every ring feature, persistent grants, spin-then-block): a 64 B
    /// round trip (<c>apipingpong</c>'s api case; "classic" is the bare ring's spin-then-block round trip) and 64 KiB writes
    /// through the pipe (<c>apistream</c>'s pipe case).
    /// </summary>
    private static void AddApplication(List<MatrixCell> cells, MatrixSettings settings)
    {
        cells.Add(ApiCell("api/rt", "64 B round trip, PvRingConnection SendAsync + ReceiveAsync", "64 B packet", 64, roundTrip: true));
        if (settings.PacketSizes.Contains(NetPacketLimits.MaxPacketSize))
        {
            cells.Add(ApiCell("api/stream", "64 KiB writes through PvRingConnection.Pipe", "64 KiB write", 65536, roundTrip: false));
        }

        // Multiqueue (item E): 64 B packets one way on every queue, one pinned worker per queue and side; "classic" is one queue.
        foreach (int queues in settings.QueueCounts)
        {
            cells.Add(new MatrixCell
            {
                Id = string.Create(CultureInfo.InvariantCulture, $"api/queues-{queues}"),
                Group = MatrixGroup.Application,
                Label = string.Create(CultureInfo.InvariantCulture, $"64 B packets on {queues} queue(s), one pinned worker per queue and side"),
                Item = queues == 1 ? "all on" : "all on + E",
                Order = PvRingConnectionOptions.DefaultRingPageOrder,
                Message = "64 B packet",
                MessageBytes = 64,
                GrantMode = "persistent",
                Queues = queues,
                Wait = "busy-poll",
                Classic = queues == 1 ? null : "api/queues-1",
                CRing = Stream(0),
                ByteRing = ByteRing(64),
                Socket = SocketStream(64),
            });
        }

        static MatrixCell ApiCell(string id, string label, string message, int bytes, bool roundTrip) => new()
        {
            Id = id,
            Group = MatrixGroup.Application,
            Label = label,
            Item = "all on",
            Order = 0,
            Message = message,
            MessageBytes = bytes,
            GrantMode = "persistent",
            Wait = "spin-then-block",
            IsRoundTrip = roundTrip,
            Classic = roundTrip ? "rt/block" : null,
            CRing = roundTrip ? "c/xenring-rt" : Stream(0),
            ByteRing = roundTrip ? null : ByteRing(NetPacketLimits.MaxPacketSize),
            Limit = roundTrip ? "c/cacheline" : "c/memcpy",
            Socket = roundTrip ? "uds/rt" : SocketStream(NetPacketLimits.MaxPacketSize),
        };
    }

    private static void AddBaselines(List<MatrixCell> cells, MatrixSettings settings, int[] byteRingSizes, int[] streamOrders)
    {
        cells.Add(NativeCell("c/cacheline", "C cache-line ping-pong (round-trip floor)", RoundTripBytes, true, (a, b, rep, probe) =>
            Reaped(settings.NativeRoundTrips, () => MatrixSample.MeanRoundTrip(rep, NativePeer.ProbeRoundTripNanoseconds(a, b, settings.NativeRoundTrips), RoundTripBytes, double.NaN, probe))));
        cells.Add(NativeCell("c/xenring-rt", "C ring on Xen ring.h, one outstanding", DescriptorBytes, true, (a, b, rep, probe) =>
            Reaped(settings.NativeRoundTrips, () => MatrixSample.MeanRoundTrip(rep, NativeBaselines.XenRingRoundTripNanoseconds(a, b, settings.NativeRoundTrips), DescriptorBytes, double.NaN, probe))));
        foreach (int order in streamOrders)
        {
            cells.Add(NativeCell(Stream(order), string.Create(CultureInfo.InvariantCulture, $"C ring on Xen ring.h, streaming, order {order}"), DescriptorBytes, false, (a, b, rep, probe) =>
                Reaped(settings.NativeStreamCount, () => MatrixSample.Throughput(rep, StreamC(order, settings.NativeStreamCount, a, b), DescriptorBytes, double.NaN, probe)), order));
        }

        foreach (int size in byteRingSizes)
        {
            long count = Math.Max(20_000, settings.ByteRingBytes / size);
            cells.Add(NativeCell(ByteRing(size), string.Create(CultureInfo.InvariantCulture, $"C SPSC byte ring, {size} B messages"), size, false, (a, b, rep, probe) =>
                Reaped(count, () => MatrixSample.Throughput(rep, NativeBaselines.ByteRingMessagesPerSecond(a, b, size, count), size, double.NaN, probe))));
        }

        cells.Add(NativeCell("c/memcpy", "C memcpy, 64 KiB, cache-resident (bulk ceiling)", MemcpyBytes, false, (a, _, rep, probe) =>
        {
            long total = settings.ByteRingBytes * 4;
            return Reaped(total / MemcpyBytes, () => MatrixSample.Throughput(rep, NativeBaselines.MemcpyGigabytesPerSecond(a, MemcpyBytes, total) * 1e9 / MemcpyBytes, MemcpyBytes, double.NaN, probe));
        }));
        foreach (int size in settings.PacketSizes)
        {
            cells.Add(new MatrixCell
            {
                Id = SocketStream(size),
                Group = MatrixGroup.Baseline,
                Label = string.Create(CultureInfo.InvariantCulture, $".NET Unix domain socket stream, {size} B"),
                Item = "socket",
                Message = string.Create(CultureInfo.InvariantCulture, $"{size} B packet"),
                MessageBytes = size,
                Wait = "blocking read",
                Packet = PacketCase.OfSocket(size),
            });
        }

        cells.Add(new MatrixCell
        {
            Id = "uds/rt",
            Group = MatrixGroup.Baseline,
            Label = ".NET Unix domain socket round trip, 1 B",
            Item = "socket",
            Message = "1 B message",
            MessageBytes = 1,
            Wait = "blocking read",
            IsRoundTrip = true,
            RoundTripMode = 2,
        });
    }

    private static MatrixCell NativeCell(
        string id, string label, int bytes, bool roundTrip, Func<int, int, int, (double Before, double After), MatrixSample> run, int order = -1) => new()
    {
        Id = id,
        Group = MatrixGroup.Baseline,
        Label = label,
        Item = "C",
        Order = order,
        Message = roundTrip ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B request") : string.Create(CultureInfo.InvariantCulture, $"{bytes} B message"),
        MessageBytes = bytes,
        IsRoundTrip = roundTrip,
        Baseline = run,
    };

    /// <summary>Runs a C baseline and sets its CPU seconds per message: those of every child it started (reaped), over <paramref name="messages"/>.</summary>
    private static MatrixSample Reaped(long messages, Func<MatrixSample> run)
    {
        double before = ProcessCpu.ReapedChildren();
        MatrixSample result = run();
        return result with { CpuSecondsPerMessage = (ProcessCpu.ReapedChildren() - before) / messages };
    }

    /// <summary>The C pair (xen_ring_peer back and front, two processes) streaming through a ring file in a private host directory.</summary>
    private static double StreamC(int order, long count, int front, int back)
    {
        string path = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"pvring-matrix-c-{Environment.ProcessId}-{Environment.TickCount64}");
        var host = new HostDirectory(path);
        try
        {
            return NativePeer.StreamRequestsPerSecond(host.GetFilePath("ring"), order, count, front, back);
        }
        finally
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
