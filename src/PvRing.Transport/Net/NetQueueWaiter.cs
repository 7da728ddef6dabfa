// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Runtime.CompilerServices;
using PvRing.Events;

namespace PvRing.Transport;

/// <summary>What a queue end tells its waiter: whether the given rings have work, and arming them before a sleep.</summary>
internal interface INetQueueWork
{
    /// <summary>Whether any of <paramref name="directions"/> has work now (a cheap poll).</summary>
    bool HasWork(NetDirections directions);

    /// <summary>Arms the event index of every ring of <paramref name="directions"/> (<c>RING_FINAL_CHECK_FOR_*</c>) and re-checks.</summary>
    bool ArmAndCheck(NetDirections directions);

    /// <summary>
    /// Whether the queue was disposed: its rings are unmapped, so a wait that its closing channel ended must not look at
    /// them again. Set before the channels close, so a wait the close completed sees it.
    /// </summary>
    bool IsDisposed { get; }

    /// <summary>
    /// After a sleep, before the rings are read again: throws <see cref="PvRingException"/> if a named file under them (the
    /// arena, the grant table, a flush page: store mode) was truncated meanwhile; nothing to check for sealed memory.
    /// </summary>
    void CheckIntact();
}

/// <summary>
/// The one wait loop of both queue ends: poll as the strategy says, then arm every ring served by this pump and sleep on
/// their shared event channel until the peer notifies. Every wake-up is a hint: the rings are checked again before
/// returning. One pump waits per channel (a channel's pending bit wakes one waiter's check, not two).
/// </summary>
internal static class NetQueueWaiter
{
    /// <summary>The one channel that serves <paramref name="directions"/>.</summary>
    /// <exception cref="ArgumentException">The directions are on two channels, or none is given.</exception>
    public static EventChannel ChannelFor(NetDirections directions, EventChannel transmit, EventChannel receive) => directions switch
    {
        NetDirections.Transmit => transmit,
        NetDirections.Receive => receive,
        NetDirections.Both when transmit == receive => transmit,
        NetDirections.Both => throw new ArgumentException("With split event channels each direction has its own channel: wait for each on its own pump.", nameof(directions)),
        _ => throw new ArgumentException($"Not a direction: {directions}.", nameof(directions)),
    };

    // The polling loop decides how soon a pump sees new work: compiled optimised at once rather than tiered up.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static EventWaitResult Wait<TWait>(INetQueueWork queue, NetDirections directions, EventChannel channel, TWait strategy, TimeSpan timeout, CancellationToken cancellationToken)
        where TWait : struct, IWaitStrategy
    {
        long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        for (int iteration = 0; ; iteration++)
        {
            if (queue.HasWork(directions))
            {
                return EventWaitResult.Signaled;
            }

            if ((iteration & 1023) == 1023)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (Stopwatch.GetTimestamp() >= deadline)
                {
                    return EventWaitResult.TimedOut;
                }
            }

            if (!strategy.Pause(iteration))
            {
                break;
            }
        }

        var sleep = new SpinThenBlockWait(0);
        while (!queue.IsDisposed)
        {
            if (queue.ArmAndCheck(directions))
            {
                return EventWaitResult.Signaled;
            }

            long left = deadline == long.MaxValue ? -1 : deadline - Stopwatch.GetTimestamp();
            if (deadline != long.MaxValue && left <= 0)
            {
                return EventWaitResult.TimedOut;
            }

            TimeSpan wait = left < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds((double)left / Stopwatch.Frequency);
            EventWaitResult result = channel.Wait(sleep, wait, cancellationToken);
            if (queue.IsDisposed)
            {
                return EventWaitResult.ChannelClosed;
            }

            // A peer that truncated the memory while we slept: a clear error here, not a SIGBUS at the next read.
            queue.CheckIntact();

            if (result != EventWaitResult.Signaled)
            {
                return queue.HasWork(directions) ? EventWaitResult.Signaled : result;
            }
        }

        return EventWaitResult.ChannelClosed;
    }
}

/// <summary>
/// A queue's asynchronous wait on one event channel (<c>WaitAsync</c>): no spinning (a spinning task would hold a pool
/// thread); it arms the rings and awaits the channel. Completes synchronously, allocating nothing, when work waits
/// already; the waiting path reuses this object (one per channel), so it allocates nothing either.
/// </summary>
internal sealed class NetQueueWaitOperation(INetQueueWork queue, EventChannel channel)
    : NetWaitOperation<EventWaitResult>(queue, NetDirections.Both, channel)
{
    private readonly INetQueueWork _queue = queue;

    protected override string Kind => "WaitAsync";

    protected override bool PeerGone => false;

    public ValueTask<EventWaitResult> StartAsync(NetDirections directions, TimeSpan timeout, CancellationToken cancellationToken) =>
        new(this, Start(directions, timeout, cancellationToken));

    protected override bool TryComplete(out EventWaitResult result)
    {
        result = EventWaitResult.Signaled;
        return _queue.HasWork(Directions);
    }

    protected override EventWaitResult OnEnd() => EventWaitResult.ChannelClosed;

    protected override EventWaitResult OnTimeout() => EventWaitResult.TimedOut;
}
