// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Samples;

namespace PvRing.Rx;

internal enum RxOutcome
{
    Completed,
    FrontGone,
    TimedOut,
    Interrupted,
}

internal readonly record struct RxResult(RxOutcome Outcome, long Served);

/// <summary>
/// The back's loop. Batch policy (the same as the C peer's): copy out every request published (up to the free
/// response space), validate each copy, answer each with its id and OKAY, publish once (<see cref="EchoHandler"/>).
/// </summary>
internal static class RxLoop
{
    public static RxResult Run(
        BackRing<NetifTxRequest, NetifTxResponse> ring, long? count, TimeSpan timeout, Interruption interruption, Func<bool> frontAlive)
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
