// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Samples;

/// <summary>How one pump ended.</summary>
internal enum PumpOutcome
{
    /// <summary>Its packets were all sent (and answered) or received.</summary>
    Completed,

    /// <summary>The peer closed, its channel closed or its process died.</summary>
    PeerGone,

    /// <summary>No progress for the timeout.</summary>
    TimedOut,

    /// <summary>Stopped from outside: SIGINT/SIGTERM, or the other pump failed.</summary>
    Stopped,

    /// <summary>A protocol error or a bad packet (<see cref="PacketPump{TEnd}.Failure"/>).</summary>
    Failed,
}
