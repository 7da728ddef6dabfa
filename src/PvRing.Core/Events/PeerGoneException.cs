// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Events;

/// <summary>
/// The process at the other end of an event channel is gone: it exited or was killed without closing the
/// channel, or closed its whole event domain. Raised by waits, which check the peer's recorded pid and start
/// time while they sleep, so a dead peer never leaves a waiter hanging.
/// </summary>
public sealed class PeerGoneException : PvRingException
{
    /// <summary>Creates the exception for the peer domain <paramref name="domainId"/> and its process <paramref name="processId"/>.</summary>
    public PeerGoneException(int domainId, int processId)
        : base($"The peer domain {domainId} (pid {processId}) is gone: its process exited or it closed its event domain.")
    {
        DomainId = domainId;
        ProcessId = processId;
    }

    /// <summary>The peer's domain id.</summary>
    public int DomainId { get; }

    /// <summary>The peer's process id as recorded in its event page.</summary>
    public int ProcessId { get; }
}
