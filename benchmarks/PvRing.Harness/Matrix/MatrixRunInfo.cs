// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Harness.Matrix;

/// <summary>What a report says about the run as a whole.</summary>
/// <param name="Command">The command line, as the docs would write it.</param>
/// <param name="StartedUtc">When it started.</param>
/// <param name="WallSeconds">How long the whole run took.</param>
/// <param name="Machine">The topology, in words.</param>
/// <param name="Placements">Every placement kind: measured, or why not.</param>
/// <param name="HardwareCounters">What <c>perf</c> can count here.</param>
/// <param name="Settings">The sizes of the run.</param>
internal sealed record MatrixRunInfo(
    string Command, DateTime StartedUtc, double WallSeconds, string Machine, string[] Placements, string HardwareCounters, MatrixSettings Settings);
