// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using CsCheck;
using Xunit.Abstractions;

namespace PvRing.Tests.Hardening;

/// <summary>
/// How many cases the bounded hostile fuzzers run, and the bound on each case. The default run is sized for a two-core
/// machine; the long fuzz mode multiplies every fuzzer's cases by <c>PVRING_FUZZ_SCALE</c> (docs/security.md). A failing
/// case's CsCheck seed is printed; rerun it with <c>CsCheck_Seed=SEED</c>.
/// </summary>
internal static class FuzzBudget
{
    /// <summary>The multiplier of every fuzzer's case count (1 unless the environment says otherwise).</summary>
    public static int Scale { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("PVRING_FUZZ_SCALE"), NumberStyles.None, CultureInfo.InvariantCulture, out int scale) && scale > 0 ? scale : 1;

    /// <summary>
    /// The seed of the cross-process hostile writer's run: <c>PVRING_FUZZ_SEED</c> when set (to replay a run's hostile
    /// values), a fresh one otherwise. Tests print it with every run.
    /// </summary>
    public static int RunSeed { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("PVRING_FUZZ_SEED"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int seed) ? seed : Random.Shared.Next();

    /// <summary>The longest one case may take before it counts as a hang.</summary>
    public static readonly TimeSpan CaseBound = TimeSpan.FromSeconds(20);

    /// <summary>The number of cases for a fuzzer whose default is <paramref name="baseline"/>.</summary>
    public static int Cases(int baseline) => checked(baseline * Scale);

    /// <summary>
    /// Runs one case on a thread of its own, bounded by <see cref="CaseBound"/>: returns the failure (a hang, or an
    /// exception <paramref name="isClear"/> does not accept), or null.
    /// </summary>
    public static string? Run(string what, Action body, Func<Exception, bool> isClear)
    {
        Exception? thrown = null;
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                thrown = e;
            }
        }) { IsBackground = true, Name = "fuzz case" };
        thread.Start();
        if (!thread.Join(CaseBound))
        {
            return $"{what}: hung (no end within {CaseBound.TotalSeconds} s)";
        }

        return thrown is null || isClear(thrown) ? null : $"{what}: {thrown.GetType().Name}: {thrown}";
    }

    /// <summary>
    /// Samples <see cref="Cases(int)"/> of <paramref name="baseline"/> cases from <paramref name="cases"/> (CsCheck prints
    /// the seed of a failing one) and runs each with <paramref name="runCase"/>, which returns its failure or null (usually
    /// <see cref="Run"/>'s answer); every failure is written to <paramref name="output"/> and the test fails if there was any.
    /// </summary>
    public static void Sample<T>(Gen<T> cases, int baseline, ITestOutputHelper output, Func<T, string?> runCase)
    {
        var failures = new List<string>();
        try
        {
            cases.Sample(c =>
            {
                string? failure = runCase(c);
                if (failure is null)
                {
                    return true;
                }

                output.WriteLine(failure);
                failures.Add(failure);
                return false;
            }, writeLine: output.WriteLine, iter: Cases(baseline), threads: 1);
        }
        catch (CsCheckException e) when (failures.Count > 0)
        {
            // CsCheck's message names the seed and the case; the failure itself (what was thrown, or a hang) is ours.
            throw new Xunit.Sdk.XunitException($"{e.Message}{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
        }

        Assert.Empty(failures);
    }
}
