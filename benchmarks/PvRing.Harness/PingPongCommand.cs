// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Harness;

/// <summary>
/// <c>pingpong [--rounds N] [--reps R]</c>: one-message ping-pong between this process and <c>ringpingpong-peer</c>,
/// pinned to two different CPUs, over a bare event channel with spin-then-block, one with busy-spin, and a Unix domain
/// socket pair, alternated within each repetition: <c>ringpingpong</c>'s measurement (<see cref="RingRoundTripSession"/>)
/// with the event-channel modes instead of the ring ones. Reports median and p99 round trip, notifications and system
/// calls per message, the idle CPU of a waiting side, and the ratios measured within each repetition.
/// </summary>
internal sealed class PingPongCommand : IHarnessCommand
{
    public string Name => "pingpong";

    public string Summary => "event channel (spin-then-block, busy-spin) vs Unix socket round trip between two pinned processes";

    public int Run(string[] args) => RingPingPongCommand.Run("pingpong", [3, 4, 2], args);
}
