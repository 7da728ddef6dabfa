// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Harness;

/// <summary>
/// One traffic pattern of <c>ringworkloads</c>: how many requests the front publishes at a time, how many responses the
/// back publishes at a time, and how many requests may be outstanding (0 in a field means "as many as the ring allows").
/// </summary>
/// <param name="Name">The workload's name in the report.</param>
/// <param name="FrontBatch">Requests per publication of the front (0: every free slot).</param>
/// <param name="BackBatch">Responses per publication of the back (0: every request published).</param>
/// <param name="Outstanding">Requests in flight at most (0: the ring's size).</param>
/// <param name="CountDivisor">The run's request count is the command's count divided by this (slow, latency-bound workloads).</param>
/// <param name="What">One line for the report: what the workload stresses.</param>
internal sealed record RingWorkload(string Name, int FrontBatch, int BackBatch, int Outstanding, int CountDivisor, string What)
{
    /// <summary>The workloads, each aimed at what one hackathon item claims to help.</summary>
    public static readonly RingWorkload[] All =
    [
        new("fill", 0, 0, 0, 1, "front fills every free slot and publishes once, back serves all published (the ringpair policy)"),
        new("batch4", 4, 0, 0, 1, "front publishes 4 requests at a time, back serves all published"),
        new("one", 1, 0, 0, 2, "front publishes each request on its own, back serves all published"),
        new("duplex", 1, 1, 0, 4, "both ends publish every entry on its own while the other reads: the index lines bounce all the time"),
        new("pingpong", 1, 0, 1, 40, "one request in flight: latency, every line a request touches crosses between the CPUs each time"),
        new("burst", 512, 0, 0, 1, "front publishes bursts of 512 requests, two pages' worth of classic netif TX slots (run it at order >= 2)"),
    ];
}
