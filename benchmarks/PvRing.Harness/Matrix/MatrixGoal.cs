// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Harness.Matrix;

/// <summary>One of the goals, as this run measured it.</summary>
/// <param name="Goal">What is wanted, in words.</param>
/// <param name="Cell">The best PvRing cell for it (label).</param>
/// <param name="Reference">The baseline it is divided by (label).</param>
/// <param name="Ratio">The cell's per-repetition ratio to the baseline.</param>
/// <param name="Target">The ratio wanted.</param>
/// <param name="AtMost">The ratio must be at most (round trips) rather than at least (rates) the target.</param>
internal sealed record MatrixGoal(string Goal, string Cell, string Reference, Spread Ratio, double Target, bool AtMost)
{
    /// <summary>Met by the median; "n/a" when the run has no such cells.</summary>
    public string Verdict => Ratio.IsEmpty ? "n/a" : (AtMost ? Ratio.Median <= Target : Ratio.Median >= Target) ? "met" : "**missed**";

    /// <summary>The three goals: 64 B packets vs the C byte ring, 64 KiB GB/s vs it with map or direct map, a round trip vs the cache-line ping-pong (two rows).</summary>
    public static List<MatrixGoal> Evaluate(MatrixResult result)
    {
        var goals = new List<MatrixGoal>();
        MatrixCell[] small = [.. result.Cells.Where(c => c.Group == MatrixGroup.Packet && c.MessageBytes == 64)];
        goals.Add(Best("64 B one-way packets/s >= 1.0x the C byte ring, best grant mode", small, c => result.Ratio(c, c.ByteRing), result, 1.0, atMost: false));
        MatrixCell[] bulk = [.. result.Cells.Where(c => c.Group == MatrixGroup.Packet && c.MessageBytes >= 65535 && c.GrantMode is "map" or "direct")];
        goals.Add(Best("64 KiB GB/s >= 1.2x the C byte ring's, with map or direct map", bulk, c => result.Ratio(c, c.ByteRing), result, 1.2, atMost: false));
        // The round trip has no "best of" in the issue: the two PvRing round trips measured directly, each on its own row.
        goals.Add(One("a round trip within 1.2x the raw cache-line ping-pong (ring, busy-poll, mean)", result["ring/pingpong/classic/o0"], result, 1.2));
        goals.Add(One("a round trip within 1.2x the raw cache-line ping-pong (ring, busy-spin waits, p50)", result["rt/spin"], result, 1.2));
        return goals;
    }

    private static MatrixGoal One(string goal, MatrixCell? cell, MatrixResult result, double target) => cell is null
        ? new MatrixGoal(goal, "n/a", "n/a", Spread.Of([]), target, AtMost: true)
        : new MatrixGoal(goal, cell.Label, result[cell.Limit]?.Label ?? "n/a", result.Ratio(cell, cell.Limit), target, AtMost: true);

    private static MatrixGoal Best(string goal, MatrixCell[] cells, Func<MatrixCell, Spread> ratio, MatrixResult result, double target, bool atMost)
    {
        (MatrixCell Cell, Spread Ratio)[] scored = [.. cells.Select(c => (c, ratio(c))).Where(x => !x.Item2.IsEmpty)];
        if (scored.Length == 0)
        {
            return new MatrixGoal(goal, "n/a", "n/a", Spread.Of([]), target, atMost);
        }

        (MatrixCell best, Spread spread) = atMost ? scored.MinBy(x => x.Ratio.Median) : scored.MaxBy(x => x.Ratio.Median);
        string reference = result[atMost ? best.Limit : best.ByteRing]?.Label ?? "n/a";
        return new MatrixGoal(goal, best.Label, reference, spread, target, atMost);
    }
}
