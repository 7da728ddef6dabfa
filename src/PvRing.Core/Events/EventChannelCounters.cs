// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Events;

/// <summary>A snapshot of one channel's counters (<see cref="EventChannel.Counters"/>), also exported by the "PvRing.Events" meter.</summary>
/// <remarks>
/// The counters are plain per-channel fields: exact with one sending and one waiting thread per channel, and
/// possibly a little low if several threads notify the same channel at once.
/// </remarks>
public readonly struct EventChannelCounters
{
    internal EventChannelCounters(long sent, long coalesced, long wakeUps, long spurious, long systemCalls, long blocks)
    {
        NotificationsSent = sent;
        NotificationsCoalesced = coalesced;
        WakeUps = wakeUps;
        SpuriousWakeUps = spurious;
        SystemCalls = systemCalls;
        Blocks = blocks;
    }

    /// <summary><see cref="EventChannel.Notify"/> calls on a bound channel.</summary>
    public long NotificationsSent { get; }

    /// <summary>Notifications that found the peer's port already pending and so cost nothing (Xen's coalescing).</summary>
    public long NotificationsCoalesced { get; }

    /// <summary>Times a sleeping wait on this channel returned from the kernel before its timeout.</summary>
    public long WakeUps { get; }

    /// <summary>Wake-ups that found no deliverable event (another port's wake, a close check, a signal).</summary>
    public long SpuriousWakeUps { get; }

    /// <summary>Futex system calls this channel made: <c>FUTEX_WAKE</c> on notify, <c>FUTEX_WAIT</c> on waits.</summary>
    public long SystemCalls { get; }

    /// <summary>Times a wait gave up polling and went to sleep in the kernel.</summary>
    public long Blocks { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"sent={NotificationsSent} coalesced={NotificationsCoalesced} wakeUps={WakeUps} spurious={SpuriousWakeUps} syscalls={SystemCalls} blocks={Blocks}";
}
