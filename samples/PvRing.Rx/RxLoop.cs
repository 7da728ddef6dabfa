// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using PvRing.Events;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Samples;

namespace PvRing.Rx;

internal enum RxOutcome
{
    Completed,

    /// <summary>The front removed its ring file (an orderly end).</summary>
    FrontGone,

    /// <summary>The front's process died (its event channel's peer check said so): never a normal end.</summary>
    FrontDied,
    TimedOut,
    Interrupted,
}

internal readonly record struct RxResult(RxOutcome Outcome, long Served);

/// <summary>
/// The back's loop. Batch policy (the same as the C peer's): copy out every request published (up to the free
/// response space), validate each copy, answer each with its id and OKAY, publish once (<see cref="EchoHandler"/>).
/// With the front's event channel bound (a C# front), a dry ring is waited on with <see cref="RingWaiter"/>: poll as
/// the strategy says, then arm <c>req_event</c> and sleep until the front notifies. Without one (a C front, which
/// has no event channel) it polls with <see cref="IdleBackoff"/>, as the C peer does.
/// </summary>
internal static class RxLoop
{
    private static readonly TimeSpan s_frontCheckInterval = TimeSpan.FromSeconds(1);

    // One call runs for the whole exchange: without this the loop stays in tier-0/OSR code (locals spilled on every
    // slot, the batch indexer's bounds check kept), which the JIT's disassembly of ringpair showed.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static RxResult Run<TWait>(
        BackRing<NetifTxRequest, NetifTxResponse> ring,
        EventChannel? channel,
        TWait strategy,
        long? count,
        TimeSpan timeout,
        Interruption interruption,
        Func<bool> frontAlive)
        where TWait : struct, IWaitStrategy
    {
        var handler = default(EchoHandler);

        // Serving without a count, idleness only prompts a look at whether the front removed the ring.
        var idle = new IdleBackoff(count is null ? TimeSpan.FromSeconds(1) : timeout);
        long limit = count ?? long.MaxValue;
        long served = 0;
        while (served < limit)
        {
            int n = ring.ServeRequests(ref handler, (int)Math.Min(int.MaxValue, limit - served));
            served += n;
            if (handler.Refused is NetifTxRequest bad)
            {
                throw new PvRingProtocolException($"Invalid request {served}: {NetifTxRequestValidator.Describe(bad)}.");
            }

            if (n > 0)
            {
                idle.Progress();
            }
            else if (interruption.Requested)
            {
                return new RxResult(RxOutcome.Interrupted, served);
            }
            else if (channel is not null)
            {
                EventWaitResult waited;
                try
                {
                    // Serving without a count, a wait only ends now and then to look whether the front removed the ring.
                    waited = ring.WaitForRequests(channel, strategy, count is null ? s_frontCheckInterval : timeout, interruption.Token);
                }
                catch (OperationCanceledException)
                {
                    return new RxResult(RxOutcome.Interrupted, served);
                }
                catch (PeerGoneException)
                {
                    return new RxResult(RxOutcome.FrontDied, served);
                }

                if (waited == EventWaitResult.TimedOut && count is not null)
                {
                    return new RxResult(RxOutcome.TimedOut, served);
                }

                if (waited != EventWaitResult.Signaled && !frontAlive())
                {
                    return new RxResult(RxOutcome.FrontGone, served);
                }

                if (waited == EventWaitResult.ChannelClosed)
                {
                    // The front closed its end but left the ring: no more notifications, so poll from here.
                    channel = null;
                    idle.Progress();
                }
            }
            else if (!idle.Idle())
            {
                if (count is not null)
                {
                    return new RxResult(RxOutcome.TimedOut, served);
                }

                if (!frontAlive())
                {
                    return new RxResult(RxOutcome.FrontGone, served);
                }

                idle.Progress();
            }
        }

        return new RxResult(RxOutcome.Completed, served);
    }
}
