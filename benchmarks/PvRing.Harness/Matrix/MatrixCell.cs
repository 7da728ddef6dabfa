// Licensed under the MIT License. See LICENSE in the repository root.

using System.Text.Json.Serialization;
using PvRing.Rings;

namespace PvRing.Harness.Matrix;

/// <summary>
/// One cell of the matrix: one point of every dimension (workload, item, ring order, message kind, grant mode,
/// queues, wait strategy) at one placement, with the references its figures are divided by, and its repetitions.
/// </summary>
internal sealed class MatrixCell
{
    /// <summary>Unique within a placement, e.g. <c>ring/fill/B/o0</c>; references name cells by it.</summary>
    public required string Id { get; init; }

    public required MatrixGroup Group { get; init; }

    /// <summary>What the table calls it.</summary>
    public required string Label { get; init; }

    /// <summary>The hackathon item(s) on: classic, B, C, I, B+C+I, A (order 4); "all on"/"all off" for packets; or the baseline.</summary>
    public string Item { get; init; } = "-";

    public string Workload { get; init; } = "-";

    /// <summary>Ring order (2^order pages per ring); -1 where it does not apply.</summary>
    public int Order { get; init; } = -1;

    /// <summary>The message kind, e.g. "12 B descriptor", "64 B packet".</summary>
    public string Message { get; init; } = "-";

    public int MessageBytes { get; init; }

    public string GrantMode { get; init; } = "-";

    /// <summary>Queues per device: 1 until multiqueue lands (the dimension exists so its rows can be added).</summary>
    public int Queues { get; init; } = 1;

    public string Wait { get; init; } = "busy-poll";

    /// <summary>The cell's figure is a round trip (lower is better), not a rate.</summary>
    public bool IsRoundTrip { get; init; }

    /// <summary>The cell this one's item is compared with (the classic ring of the same workload and order), or null.</summary>
    public string? Classic { get; init; }

    /// <summary>The C ring on Xen's ring.h: streaming for rates, one outstanding for round trips.</summary>
    public string? CRing { get; init; }

    /// <summary>The C byte ring at this message size (rates only).</summary>
    public string? ByteRing { get; init; }

    /// <summary>The physical limit: memcpy bandwidth for rates (compared in GB/s), the cache-line ping-pong for round trips.</summary>
    public string? Limit { get; init; }

    /// <summary>.NET Unix domain sockets doing the same (stream of the same size, or the one-byte round trip).</summary>
    public string? Socket { get; init; }

    public List<MatrixSample> Samples { get; } = [];

    /// <summary>Every repetition's round trips (histogram cells only), for the latency plot.</summary>
    [JsonIgnore]
    public LatencyHistogram? Histogram { get; set; }

    [JsonIgnore]
    public RingVariant? RingVariant { get; init; }

    [JsonIgnore]
    public RingWorkload? RingWorkload { get; init; }

    [JsonIgnore]
    public PacketCase? Packet { get; init; }

    /// <summary>The <see cref="RingRoundTripSession.Modes"/> index of a round-trip cell.</summary>
    [JsonIgnore]
    public int RoundTripMode { get; init; } = -1;

    /// <summary>Runs a baseline cell once (placement CPUs in, one sample out).</summary>
    [JsonIgnore]
    public Func<int, int, int, (double Before, double After), MatrixSample>? Baseline { get; init; }

    /// <summary>The figure the ratios are taken of: the round trip (us) of a round-trip cell, else messages/s.</summary>
    public double Figure(MatrixSample sample) => IsRoundTrip ? sample.RoundTripMicroseconds : sample.MessagesPerSecond;
}
