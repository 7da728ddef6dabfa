// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Runtime.CompilerServices;
using PvRing.Rings;

namespace PvRing.Events;

/// <summary>
/// Puts a ring consumer to sleep on an <see cref="EventChannel"/> when its ring runs dry, the way a Xen driver's
/// interrupt handler and <c>RING_FINAL_CHECK_FOR_*</c> work together. The producer side needs no glue: set the
/// ring's <c>Notifier</c> to the channel and the batch scopes notify only when
/// <c>RING_PUSH_*_AND_CHECK_NOTIFY</c> says the consumer asked.
/// </summary>
/// <remarks>
/// <para>Design: a wait has two phases. While the strategy's <see cref="IWaitStrategy.Pause"/> says "poll again",
/// the waiter polls the ring itself (<c>RING_HAS_UNCONSUMED_*</c>) without arming the event index, so a producer
/// that publishes during this phase sees an old index and sends nothing: while both sides keep up with each other,
/// no notification and no system call is made. When the strategy says "sleep", the waiter calls
/// <c>RING_FINAL_CHECK_FOR_*</c> (which arms <c>req_event</c>/<c>rsp_event</c> and re-checks after a full fence)
/// and only if that finds nothing does it sleep on the channel; the producer's push-and-check then sees the armed
/// index and notifies. Every wake-up is a hint: the loop re-checks the ring before returning.</para>
/// <para>Timeout, cancellation, a closed channel and a dead peer are checked every 1,024 polls and while asleep
/// (the channel's peer check, <see cref="EventDomainOptions.PeerCheckInterval"/>). One thread waits per ring end.</para>
/// </remarks>
public static class RingWaiter
{
    private const int SlowCheckMask = 1023;

    /// <summary>
    /// Waits until responses wait on <paramref name="ring"/>, with the default <see cref="SpinThenBlockWait"/>.
    /// </summary>
    /// <inheritdoc cref="WaitForResponses{TRequest, TResponse, TWait}(FrontRing{TRequest, TResponse}, EventChannel, TWait, TimeSpan, CancellationToken)"/>
    public static EventWaitResult WaitForResponses<TRequest, TResponse>(
        this FrontRing<TRequest, TResponse> ring, EventChannel channel, TimeSpan timeout, CancellationToken cancellationToken)
        where TRequest : unmanaged
        where TResponse : unmanaged =>
        WaitForResponses(ring, channel, new SpinThenBlockWait(), timeout, cancellationToken);

    /// <summary>
    /// Waits until responses wait on <paramref name="ring"/>: polls it as <paramref name="strategy"/> says, then
    /// arms <c>rsp_event</c> (<see cref="FrontRing{TRequest, TResponse}.FinalCheckForResponses"/>) and sleeps on
    /// <paramref name="channel"/> until the back notifies.
    /// </summary>
    /// <param name="ring">The ring end whose consumer waits.</param>
    /// <param name="channel">The channel the peer notifies this end on (the peer sets it as its ring's notifier).</param>
    /// <param name="strategy">How to pass the time between polls and whether to sleep at all (<see cref="BusySpinWait"/> never does).</param>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> for no limit (peer death still ends it).</param>
    /// <param name="cancellationToken">Cancels the wait with <see cref="OperationCanceledException"/>.</param>
    /// <returns><see cref="EventWaitResult.Signaled"/> as soon as the ring has work, else why it stopped waiting.</returns>
    /// <exception cref="PeerGoneException">The peer process is gone.</exception>
    /// <exception cref="PvRingProtocolException">The peer published an impossible index or corrupted the channel.</exception>
    public static EventWaitResult WaitForResponses<TRequest, TResponse, TWait>(
        this FrontRing<TRequest, TResponse> ring, EventChannel channel, TWait strategy, TimeSpan timeout, CancellationToken cancellationToken)
        where TRequest : unmanaged
        where TResponse : unmanaged
        where TWait : struct, IWaitStrategy
    {
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(channel);
        var side = new FrontResponseSide<TRequest, TResponse>(ring);
        return side.HasWork() ? EventWaitResult.Signaled : WaitSlow(side, channel, ref strategy, timeout, cancellationToken);
    }

    /// <summary>
    /// Waits until requests wait on <paramref name="ring"/>, with the default <see cref="SpinThenBlockWait"/>.
    /// </summary>
    /// <inheritdoc cref="WaitForRequests{TRequest, TResponse, TWait}(BackRing{TRequest, TResponse}, EventChannel, TWait, TimeSpan, CancellationToken)"/>
    public static EventWaitResult WaitForRequests<TRequest, TResponse>(
        this BackRing<TRequest, TResponse> ring, EventChannel channel, TimeSpan timeout, CancellationToken cancellationToken)
        where TRequest : unmanaged
        where TResponse : unmanaged =>
        WaitForRequests(ring, channel, new SpinThenBlockWait(), timeout, cancellationToken);

    /// <summary>
    /// Waits until requests wait on <paramref name="ring"/> (and a response slot is free for them): polls it as
    /// <paramref name="strategy"/> says, then arms <c>req_event</c>
    /// (<see cref="BackRing{TRequest, TResponse}.FinalCheckForRequests"/>) and sleeps on <paramref name="channel"/>
    /// until the front notifies.
    /// </summary>
    /// <inheritdoc cref="WaitForResponses{TRequest, TResponse, TWait}(FrontRing{TRequest, TResponse}, EventChannel, TWait, TimeSpan, CancellationToken)"/>
    public static EventWaitResult WaitForRequests<TRequest, TResponse, TWait>(
        this BackRing<TRequest, TResponse> ring, EventChannel channel, TWait strategy, TimeSpan timeout, CancellationToken cancellationToken)
        where TRequest : unmanaged
        where TResponse : unmanaged
        where TWait : struct, IWaitStrategy
    {
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(channel);
        var side = new BackRequestSide<TRequest, TResponse>(ring);
        return side.HasWork() ? EventWaitResult.Signaled : WaitSlow(side, channel, ref strategy, timeout, cancellationToken);
    }

    /// <summary>
    /// Waits asynchronously until responses wait on <paramref name="ring"/>: arms <c>rsp_event</c> and awaits
    /// <see cref="EventChannel.WaitAsync(TimeSpan, CancellationToken)"/>. It does not spin (a spinning task would hold a
    /// pool thread). Completes synchronously, allocating nothing, when responses wait already; the asynchronous path
    /// uses a pooled state machine.
    /// </summary>
    /// <inheritdoc cref="WaitForResponses{TRequest, TResponse, TWait}(FrontRing{TRequest, TResponse}, EventChannel, TWait, TimeSpan, CancellationToken)"/>
    public static ValueTask<EventWaitResult> WaitForResponsesAsync<TRequest, TResponse>(
        this FrontRing<TRequest, TResponse> ring, EventChannel channel, TimeSpan timeout, CancellationToken cancellationToken)
        where TRequest : unmanaged
        where TResponse : unmanaged
    {
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(channel);
        var side = new FrontResponseSide<TRequest, TResponse>(ring);
        return side.HasWork() ? new ValueTask<EventWaitResult>(EventWaitResult.Signaled) : WaitSlowAsync(side, channel, timeout, cancellationToken);
    }

    /// <summary>
    /// Waits asynchronously until requests wait on <paramref name="ring"/>: arms <c>req_event</c> and awaits
    /// <see cref="EventChannel.WaitAsync(TimeSpan, CancellationToken)"/>. Completes synchronously, allocating
    /// nothing, when requests wait already.
    /// </summary>
    /// <inheritdoc cref="WaitForResponses{TRequest, TResponse, TWait}(FrontRing{TRequest, TResponse}, EventChannel, TWait, TimeSpan, CancellationToken)"/>
    public static ValueTask<EventWaitResult> WaitForRequestsAsync<TRequest, TResponse>(
        this BackRing<TRequest, TResponse> ring, EventChannel channel, TimeSpan timeout, CancellationToken cancellationToken)
        where TRequest : unmanaged
        where TResponse : unmanaged
    {
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(channel);
        var side = new BackRequestSide<TRequest, TResponse>(ring);
        return side.HasWork() ? new ValueTask<EventWaitResult>(EventWaitResult.Signaled) : WaitSlowAsync(side, channel, timeout, cancellationToken);
    }

    // The polling loop decides how soon a waiting end sees new work: left to tiering it ran as Tier0, then OSR code for
    // the first part of every ringpair run (the JIT's compile log). Compiled optimised at once, kept out of line.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static EventWaitResult WaitSlow<TSide, TWait>(TSide side, EventChannel channel, ref TWait strategy, TimeSpan timeout, CancellationToken cancellationToken)
        where TSide : struct, IRingConsumerSide
        where TWait : struct, IWaitStrategy
    {
        long deadline = channel.ToDeadline(timeout);
        long nextPeerCheck = Stopwatch.GetTimestamp() + channel.PeerCheckTicks;

        // Phase 1: poll the ring, unarmed. The producer's push-and-check compares against a stale event index and
        // stays silent, so a short dry spell costs the producer nothing.
        for (int iteration = 0; ; iteration++)
        {
            if (side.HasWork())
            {
                return EventWaitResult.Signaled;
            }

            if ((iteration & SlowCheckMask) == SlowCheckMask
                && channel.CheckEnd(deadline, ref nextPeerCheck, cancellationToken) is EventWaitResult end)
            {
                return Finish(side, end);
            }

            if (!strategy.Pause(iteration))
            {
                break;
            }
        }

        // Phase 2: arm the event index, re-check (the final check's Dekker pair with push-and-check-notify), sleep.
        // default(SpinThenBlockWait) sleeps after one poll of the pending bit: the spinning was done on the ring.
        // After each sleep, a named ring file's size is checked (an fstat): a peer that truncated it meanwhile is a
        // clear error here, not a SIGBUS at the next read.
        while (true)
        {
            if (side.FinalCheck())
            {
                return EventWaitResult.Signaled;
            }

            EventWaitResult result = channel.Wait(default(SpinThenBlockWait), Remaining(deadline), cancellationToken);
            side.CheckIntact();
            if (result != EventWaitResult.Signaled)
            {
                return Finish(side, result);
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<EventWaitResult> WaitSlowAsync<TSide>(TSide side, EventChannel channel, TimeSpan timeout, CancellationToken cancellationToken)
        where TSide : struct, IRingConsumerSide
    {
        long deadline = channel.ToDeadline(timeout);
        while (true)
        {
            if (side.FinalCheck())
            {
                return EventWaitResult.Signaled;
            }

            EventWaitResult result = await channel.WaitAsync(Remaining(deadline), cancellationToken).ConfigureAwait(false);
            side.CheckIntact();
            if (result != EventWaitResult.Signaled)
            {
                return Finish(side, result);
            }
        }
    }

    /// <summary>Work that arrived with the close or just at the deadline still counts: look once more.</summary>
    private static EventWaitResult Finish<TSide>(TSide side, EventWaitResult result)
        where TSide : struct, IRingConsumerSide
    {
        if (side.HasWork())
        {
            return EventWaitResult.Signaled;
        }

        return result;
    }

    private static TimeSpan Remaining(long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return Timeout.InfiniteTimeSpan;
        }

        long ticks = deadline - Stopwatch.GetTimestamp();
        return ticks <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)ticks / Stopwatch.Frequency);
    }
}
