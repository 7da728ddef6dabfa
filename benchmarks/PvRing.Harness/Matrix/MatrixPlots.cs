// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using ScottPlot;

namespace PvRing.Harness.Matrix;

/// <summary>
/// The matrix's plots (ScottPlot, PNG) of one placement: each item's messages/s relative to the classic ring per
/// workload, the round-trip latency distributions (the HdrHistogram percentiles), and the grant modes by packet size
/// relative to the C byte ring of the same size. Every bar is a median of per-repetition ratios (same run).
/// </summary>
internal static class MatrixPlots
{
    private const int Width = 1000;
    private const int Height = 520;

    /// <summary>Writes the plots into <paramref name="directory"/>; returns their paths.</summary>
    public static string[] Write(string directory, MatrixResult result)
    {
        var written = new List<string>();
        Save(ItemsByWorkload(result), Path.Combine(directory, "matrix-items.png"), written);
        Save(Latency(result), Path.Combine(directory, "matrix-latency.png"), written);
        Save(GrantModes(result), Path.Combine(directory, "matrix-grant-modes.png"), written);
        return [.. written];
    }

    private static void Save(Plot? plot, string path, List<string> written)
    {
        if (plot is not null)
        {
            plot.SavePng(path, Width, Height);
            written.Add(path);
        }
    }

    private static Plot? ItemsByWorkload(MatrixResult result)
    {
        MatrixCell[] ring = [.. result.Cells.Where(c => c.Group == MatrixGroup.Ring)];
        string[] workloads = [.. ring.Select(c => c.Workload).Distinct()];
        string[] items = [.. ring.Where(c => c.Item != "classic").Select(c => $"{c.Item} (order {c.Order})").Distinct()];
        if (workloads.Length == 0)
        {
            return null;
        }

        // Rates and round trips alike as messages/s relative to classic: above 1 is better.
        Plot plot = GroupedBars(workloads.Length, items, (w, i) =>
            ring.FirstOrDefault(c => c.Workload == workloads[w] && $"{c.Item} (order {c.Order})" == items[i]) is MatrixCell cell
                ? Spread.Ratio(cell, result[cell.Classic], s => s.MessagesPerSecond).Median
                : null);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. workloads.Select((_, w) => (w * (items.Length + 1)) + ((items.Length - 1) / 2.0))],
            [.. workloads.Select(w => string.Create(CultureInfo.InvariantCulture,
                $"{w} (classic {Spread.Values(ring.First(c => c.Workload == w && c.Item == "classic"), s => s.MessagesPerSecond).Median / 1e6:0.#} M/s)"))]);
        plot.Title($"Ring items per workload ({result.Placement.Kind}): messages/s relative to the classic ring, median of reps");
        plot.YLabel("messages/s, item / classic");
        plot.ShowLegend(Alignment.UpperRight);
        plot.Axes.Margins(bottom: 0);
        return plot;
    }

    /// <summary>
    /// Bars in <paramref name="groups"/> groups of one bar per series (a colour and a legend entry each), a dashed line at 1;
    /// <paramref name="value"/> (group, series) gives a bar's height, null for none.
    /// </summary>
    private static Plot GroupedBars(int groups, string[] series, Func<int, int, double?> value)
    {
        var plot = new Plot();
        for (int i = 0; i < series.Length; i++)
        {
            var bars = new List<Bar>();
            for (int g = 0; g < groups; g++)
            {
                if (value(g, i) is double height)
                {
                    bars.Add(new Bar { Position = (g * (series.Length + 1)) + i, Value = height });
                }
            }

            var plotted = plot.Add.Bars(bars);
            plotted.LegendText = series[i];
            plotted.Color = Colors.Category10[i % Colors.Category10.Length];
        }

        plot.Add.HorizontalLine(1, 1, Colors.Black, LinePattern.Dashed);
        return plot;
    }

    private static Plot? Latency(MatrixResult result)
    {
        MatrixCell[] cells = [.. result.Cells.Where(c => c.Histogram is { Count: > 0 })];
        if (cells.Length == 0)
        {
            return null;
        }

        double[] percentiles = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 97, 99, 99.5, 99.7, 99.9, 99.95, 99.99];
        double[] x = [.. percentiles.Select(p => -Math.Log10(1 - (p / 100)))];
        var plot = new Plot();
        for (int i = 0; i < cells.Length; i++)
        {
            double[] y = [.. percentiles.Select(p => Math.Log10(cells[i].Histogram!.Microseconds(p)))];
            var line = plot.Add.Scatter(x, y);
            line.LegendText = cells[i].Label;
            line.Color = Colors.Category10[i % Colors.Category10.Length];
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([0, 1, 2, 3, 4], ["p0", "p90", "p99", "p99.9", "p99.99"]);
        double low = Math.Floor(cells.Min(c => Math.Log10(c.Histogram!.Microseconds(0))));
        double high = Math.Ceiling(cells.Max(c => Math.Log10(c.Histogram!.Microseconds(99.99))));
        double[] decades = [.. Enumerable.Range((int)low, (int)(high - low) + 1).Select(d => (double)d)];
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            decades, [.. decades.Select(d => Math.Pow(10, d).ToString("0.###", CultureInfo.InvariantCulture))]);
        plot.Title($"Round-trip latency distribution ({result.Placement.Kind}), every repetition merged");
        plot.XLabel("percentile");
        plot.YLabel("round trip, us (log scale)");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    private static Plot? GrantModes(MatrixResult result)
    {
        MatrixCell[] packets = [.. result.Cells.Where(c => c.Group == MatrixGroup.Packet || c.Id.StartsWith("uds/stream/", StringComparison.Ordinal))];
        int[] sizes = [.. packets.Select(c => c.MessageBytes).Distinct().Order()];
        string[] series = [.. packets.Select(Series).Distinct()];
        if (sizes.Length == 0)
        {
            return null;
        }

        Plot plot = GroupedBars(sizes.Length, series, (s, i) =>
            packets.FirstOrDefault(c => c.MessageBytes == sizes[s] && Series(c) == series[i]) is MatrixCell cell
                ? Spread.Ratio(cell, result[string.Create(CultureInfo.InvariantCulture, $"c/bytering/{sizes[s]}")], x => x.GigabytesPerSecond).Median
                : null);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. sizes.Select((_, s) => (s * (series.Length + 1)) + ((series.Length - 1) / 2.0))],
            [.. sizes.Select(size => string.Create(CultureInfo.InvariantCulture,
                $"{size} B (byte ring {Spread.Values(result[$"c/bytering/{size}"]!, x => x.GigabytesPerSecond).Median:0.##} GB/s)"))]);
        plot.Title($"Grant modes by packet size ({result.Placement.Kind}): GB/s relative to the C byte ring, median of reps");
        plot.YLabel("GB/s, case / C byte ring (same size)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.Margins(bottom: 0);
        return plot;

        static string Series(MatrixCell c) => c.Group == MatrixGroup.Packet ? $"{c.GrantMode} {c.Item}" : "unix socket";
    }
}
