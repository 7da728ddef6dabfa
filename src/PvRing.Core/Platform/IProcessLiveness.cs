// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Platform;

/// <summary>Tells whether another process is still running, without allocating (blocked waiters ask it periodically).</summary>
internal interface IProcessLiveness
{
    /// <summary>The identity of the calling process.</summary>
    ProcessIdentity Current { get; }

    /// <summary>
    /// Whether the process is still running: it exists, is not a zombie and has the recorded start time.
    /// </summary>
    bool IsAlive(ProcessIdentity process);
}
