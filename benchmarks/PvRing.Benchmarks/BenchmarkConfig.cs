// Licensed under the MIT License. See LICENSE in the repository root.

using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Reports;

namespace PvRing.Benchmarks;

/// <summary>
/// The configuration every PvRing benchmark shares: the memory diagnoser (hot paths must show 0 B),
/// median and percentiles beside the mean, categories, and GitHub-markdown plus JSON export.
/// </summary>
public sealed class BenchmarkConfig : ManualConfig
{
    public BenchmarkConfig()
    {
        // Start from BenchmarkDotNet's defaults (console logger, columns, analysers, validators).
        AddLogger(DefaultConfig.Instance.GetLoggers().ToArray());
        AddColumnProvider(DefaultColumnProviders.Instance);
        AddAnalyser(DefaultConfig.Instance.GetAnalysers().ToArray());
        AddValidator(DefaultConfig.Instance.GetValidators().ToArray());
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median, StatisticColumn.P95, CategoriesColumn.Default);
        AddExporter(MarkdownExporter.GitHub, JsonExporter.Full);
        WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend));
        WithOptions(ConfigOptions.JoinSummary);
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory);
    }
}
