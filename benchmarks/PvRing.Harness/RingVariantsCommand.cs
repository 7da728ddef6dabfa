// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Harness;

/// <summary>
/// <c>ringvariants</c>: a preset of <c>ringworkloads</c> (one schedule runner, one batch policy): each single ring
/// variant (B split indexes, C aligned slots, I split rings) and all three against the classic ring of the same order,
/// in the <c>fill</c> workload (the PvRing.Tx/PvRing.Rx batch policy) at equal ring bytes, ABBA, with the regime probe;
/// 20,000,000 timed requests per run after 2,000,000 of warm-up, 5 repetitions unless told otherwise.
/// </summary>
internal sealed class RingVariantsCommand : IHarnessCommand
{
    public string Name => "ringvariants";

    public string Summary => "preset of ringworkloads: each ring variant vs the classic ring in the fill workload, equal bytes, ABBA";

    public int Run(string[] args)
    {
        string[] preset = ["--workloads", "fill", "--variants", "B,C,I,BCI", "--comparisons", "bytes", "--count", "20000000", "--warmup", "2000000", "--repeat", "5"];

        // Options given on the command line come after the preset's and so win (HarnessOptions keeps the last value).
        return new RingWorkloadsCommand().Run([.. preset, .. args]);
    }
}
