// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;

namespace PvRing.Core.Tests.Hardening;

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
}
