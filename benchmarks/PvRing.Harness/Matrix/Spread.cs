// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;

namespace PvRing.Harness.Matrix;

/// <summary>The median of a cell's repetitions with their range (NaN figures left out); NaN throughout when none is left.</summary>
internal readonly record struct Spread(double Median, double Min, double Max, int Count)
{
    public static Spread Of(IEnumerable<double> values)
    {
        double[] v = [.. values.Where(x => !double.IsNaN(x) && !double.IsInfinity(x))];
        return v.Length == 0 ? new Spread(double.NaN, double.NaN, double.NaN, 0) : new Spread(Measurement.Median(v), v.Min(), v.Max(), v.Length);
    }

    /// <summary><paramref name="select"/> of every repetition of <paramref name="cell"/>.</summary>
    public static Spread Values(MatrixCell cell, Func<MatrixSample, double> select) => Of(cell.Samples.Select(select));

    /// <summary>
    /// Per sample, <paramref name="select"/> of <paramref name="cell"/> over the mean of that of the <paramref name="reference"/>
    /// samples taken just before and just after it in the same repetition (same run, same placement; the runner measures
    /// the baselines around every group of cells, so a drift linear in time cancels); the median and range of those ratios.
    /// </summary>
    public static Spread Ratio(MatrixCell cell, MatrixCell? reference, Func<MatrixSample, double> select) => reference is null
        ? Of([])
        : Of(cell.Samples.Select(s =>
        {
            MatrixSample[] same = [.. reference.Samples.Where(r => r.Rep == s.Rep)];
            MatrixSample?[] around = [same.Where(r => r.Slot < s.Slot).MaxBy(r => r.Slot), same.Where(r => r.Slot > s.Slot).MinBy(r => r.Slot)];
            double[] values = [.. around.OfType<MatrixSample>().Select(select)];
            return values.Length == 0 ? double.NaN : select(s) / values.Average();
        }));

    public bool IsEmpty => Count == 0;

    /// <summary>A ratio's format: two decimals, three significant digits below 0.1, one decimal from 100.</summary>
    public string RatioText() => Text(Math.Abs(Median) switch
    {
        >= 100 => "0.0",
        >= 0.1 => "0.00",
        >= 0.01 => "0.000",
        _ => "0.00000",
    });

    /// <summary>"median (min..max)" with <paramref name="format"/>, or "n/a".</summary>
    public string Text(string format) => IsEmpty
        ? "n/a"
        : Count == 1 || Min == Max
            ? Median.ToString(format, CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{Median.ToString(format, CultureInfo.InvariantCulture)} ({Min.ToString(format, CultureInfo.InvariantCulture)}..{Max.ToString(format, CultureInfo.InvariantCulture)})");
}
