// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using PvRing.Events;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Samples;

namespace PvRing.Tx;

internal enum TxOutcome
{
    Completed,
    TimedOut,
    Interrupted,
    BackGone,
}

internal readonly record struct TxResult(TxOutcome Outcome, long Received, TimeSpan Elapsed);

/// <summary>
/// The front's loop. Batch policy (the same as the C peer's): fill every free slot (up to what remains),
/// publish once, then consume every response published. Response n must carry id n mod 2^16 and OKAY.
/// The first <c>warmup</c> requests are exchanged and checked like the others but not timed.
/// When it can do nothing (no free slot or nothing left to send, and no response): once the back has bound the
/// event channel, it waits on it (<see cref="RingWaiter"/>: poll as the strategy says, then arm <c>rsp_event</c>
/// and sleep); before that, or with a back that has no channel (the C peer), it polls with <see cref="IdleBackoff"/>.
/// </summary>
internal static class TxLoop
{
    // One call runs for the whole exchange: without this the loop stays in tier-0/OSR code (locals spilled on every
    // slot, the batch indexer's bounds check kept), which the JIT's disassembly of ringpair showed.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static TxResult Run<TWait>(
        FrontRing<NetifTxRequest, NetifTxResponse> ring, EventChannel? channel, TWait strategy, long count, long warmup, TimeSpan timeout, Interruption interruption)
        where TWait : struct, IWaitStrategy
    {
        bool bound = false;
        var idle = new IdleBackoff(timeout);
        var checker = default(ResponseChecker);
        long sent = 0;
        long received = 0;
        long start = Stopwatch.GetTimestamp();
        bool timing = warmup == 0;
        count += warmup;
        while (received < count)
        {
            if (!timing && received >= warmup)
            {
                // Warm-up over (the JIT has tiered the loop up): time from here.
                timing = true;
                start = Stopwatch.GetTimestamp();
            }

            bool progress = false;
            int room = (int)Math.Min(ring.FreeRequests, count - sent);
            if (room > 0)
            {
                RequestFill.Fill(ring, room, (ulong)sent);
                sent += room;
                progress = true;
            }

            int answered = ring.ConsumeResponses(ref checker, int.MaxValue);
            if (checker.Wrong is NetifTxResponse wrong)
            {
                ThrowWrongResponse(checker.Received, wrong);
            }

            received = checker.Received;
            progress |= answered != 0;

            if (progress)
            {
                idle.Progress();
            }
            else if (interruption.Requested)
            {
                return new TxResult(TxOutcome.Interrupted, received, Stopwatch.GetElapsedTime(start));
            }
            else if (channel is not null && (bound || (bound = channel.State == EventChannelState.Bound)))
            {
                EventWaitResult waited;
                try
                {
                    waited = ring.WaitForResponses(channel, strategy, timeout, interruption.Token);
                }
                catch (OperationCanceledException)
                {
                    return new TxResult(TxOutcome.Interrupted, received, Stopwatch.GetElapsedTime(start));
                }
                catch (PeerGoneException)
                {
                    return new TxResult(TxOutcome.BackGone, received, Stopwatch.GetElapsedTime(start));
                }

                if (waited == EventWaitResult.TimedOut)
                {
                    return new TxResult(TxOutcome.TimedOut, received, Stopwatch.GetElapsedTime(start));
                }

                if (waited == EventWaitResult.ChannelClosed)
                {
                    // The back closed its end: no more notifications. Poll from here; the timeout still applies.
                    channel = null;
                }
            }
            else if (!idle.Idle())
            {
                return new TxResult(TxOutcome.TimedOut, received, Stopwatch.GetElapsedTime(start));
            }
        }

        return new TxResult(TxOutcome.Completed, received - warmup, Stopwatch.GetElapsedTime(start));
    }

    [DoesNotReturn]
    private static void ThrowWrongResponse(long sequence, NetifTxResponse response) =>
        throw new PvRingProtocolException(
            $"Response {sequence} is wrong: id={response.Id}, status={response.Status}; expected id={(ushort)sequence}, status={NetifStatus.Okay}.");
}
