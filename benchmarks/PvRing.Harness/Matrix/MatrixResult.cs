// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Platform;

namespace PvRing.Harness.Matrix;

/// <summary>The cells of one placement after the run, with lookups for their references.</summary>
internal sealed class MatrixResult(CpuPlacement placement, List<MatrixCell> cells)
{
    private readonly Dictionary<string, MatrixCell> _byId = cells.ToDictionary(c => c.Id);

    public CpuPlacement Placement { get; } = placement;

    public List<MatrixCell> Cells { get; } = cells;

    public MatrixCell? this[string? id] => id is not null && _byId.TryGetValue(id, out MatrixCell? cell) ? cell : null;

    /// <summary>The cell's figure over its reference's (rates: PvRing/reference; round trips: PvRing/reference, lower is better).</summary>
    public Spread Ratio(MatrixCell cell, string? reference) => Spread.Ratio(cell, this[reference], cell.Figure);

    /// <summary>To the physical limit: GB/s over memcpy's for rates; round trip over the cache-line ping-pong's for round trips.</summary>
    public Spread LimitRatio(MatrixCell cell) => cell.IsRoundTrip
        ? Spread.Ratio(cell, this[cell.Limit], s => s.RoundTripMicroseconds)
        : Spread.Ratio(cell, this[cell.Limit], s => s.GigabytesPerSecond);
}
