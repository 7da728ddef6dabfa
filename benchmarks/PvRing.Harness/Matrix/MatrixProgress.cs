// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using PvRing.Platform;
using Spectre.Console;

namespace PvRing.Harness.Matrix;

/// <summary>
/// The matrix's progress: a live Spectre.Console bar with the cell being measured and the time left on an interactive
/// terminal, one plain line per cell (with the elapsed time and an estimate of what is left) when the output is
/// redirected. The bar redraws at most four times a second, from a thread of the harness's CPU.
/// </summary>
internal sealed class MatrixProgress
{
    private readonly ProgressTask? _task;
    private readonly int _total;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _done;

    private MatrixProgress(ProgressTask? task, int total)
    {
        _task = task;
        _total = total;
    }

    /// <summary>Runs <paramref name="body"/> with a progress of <paramref name="total"/> steps.</summary>
    public static void Run(int total, Action<MatrixProgress> body)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            body(new MatrixProgress(null, total));
            return;
        }

        Progress progress = AnsiConsole.Progress();
        progress.RefreshRate = TimeSpan.FromMilliseconds(250);
        progress
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => body(new MatrixProgress(context.AddTask("matrix", maxValue: total), total)));
    }

    /// <summary>A cell (or a block of them) starts.</summary>
    public void Begin(int rep, CpuPlacement placement, string what)
    {
        string text = string.Create(CultureInfo.InvariantCulture, $"{placement.Kind} rep {rep + 1}: {what}");
        if (_task is not null)
        {
            _task.Description = Markup.Escape(text);
            return;
        }

        TimeSpan elapsed = _clock.Elapsed;
        string left = _done == 0 ? "?" : TimeSpan.FromSeconds(elapsed.TotalSeconds / _done * (_total - _done)).ToString(@"m\:ss", CultureInfo.InvariantCulture);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_done,3}/{_total}] {elapsed:m\\:ss} elapsed, ~{left} left: {text}"));
    }

    /// <summary><paramref name="steps"/> cells are done.</summary>
    public void Advance(int steps)
    {
        _done += steps;
        _task?.Increment(steps);
    }
}
