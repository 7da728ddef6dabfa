// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Runtime.CompilerServices;
using PvRing.Events;
using PvRing.Transport;

namespace PvRing.Samples;

/// <summary>
/// One thread's loop over the rings of one event channel: with split event channels each direction has its own pump
/// (a channel wakes one waiter), with one shared channel a single pump serves both rings. Each round sends what fits
/// (the ring this end sends on, if the pump serves it), takes transmit answers, receives what arrived, and when nothing
/// moved sleeps on the channel (<c>Wait</c>: poll as the strategy says, arm the event indices, block).
/// </summary>
internal sealed class PacketPump<TEnd>
    where TEnd : struct, IPacketEnd
{
    private const int SendBurst = 64;

    private readonly NetDirections _waitOn;
    private readonly bool _sends;
    private readonly bool _receives;
    private readonly PacketSizes _sizes;
    private readonly long _limit;
    private readonly TimeSpan _timeout;
    private readonly CancellationToken _stop;
    private readonly byte[] _source;
    private readonly TEnd _end;
    private PacketVerifier _verifier;

    public PacketPump(TEnd end, NetDirections serves, PacketSizes sizes, long? count, TimeSpan timeout, CancellationToken stop)
    {
        _end = end;
        _waitOn = serves;
        _sends = (serves & end.Sends) != 0;
        _receives = (serves & ~end.Sends) != 0;
        _sizes = sizes;
        _limit = count ?? long.MaxValue;
        _timeout = timeout;
        _stop = stop;
        Latency = new LatencyHistogram();
        _verifier = new PacketVerifier(Latency);

        // The payload: a seeded random buffer twice the largest packet; packet i is the slice at 64 * (i mod 1024), so
        // consecutive packets differ everywhere (a stale page fails the checksum) and nothing is generated per packet.
        _source = new byte[2 * (NetPacketLimits.MaxPacketSize + 1)];
        new Random((int)sizes.Seed).NextBytes(_source);
    }

    public bool SendsPackets => _sends;

    public bool ReceivesPackets => _receives;

    public long Sent { get; private set; }

    public long SentBytes { get; private set; }

    public long FirstSendTimestamp { get; private set; }

    public long LastSendTimestamp { get; private set; }

    public long Received => _verifier.Received;

    public long ReceivedBytes => _verifier.Bytes;

    public long FirstReceiveTimestamp => _verifier.FirstTimestamp;

    public long LastReceiveTimestamp => _verifier.LastTimestamp;

    public LatencyHistogram Latency { get; }

    public PumpOutcome Outcome { get; private set; }

    public Exception? Failure { get; private set; }

    /// <summary>Runs until done, the peer leaves, the timeout passes idle, <c>stop</c> is cancelled or a packet is bad.</summary>
    public PumpOutcome Run<TWait>(TWait strategy)
        where TWait : struct, IWaitStrategy
    {
        try
        {
            Outcome = Loop(strategy);
        }
        catch (Exception e) when (e is PvRingException or InvalidDataException)
        {
            // Any of the library's errors (a protocol failure, a shared file truncated under us): on this pump's own
            // thread an escaped exception would end the process instead of the run's clear exit.
            Failure = e;
            Outcome = PumpOutcome.Failed;
        }

        return Outcome;
    }

    // Long-running: without AggressiveOptimization the loop would stay in tier-0/OSR code for the whole run.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private PumpOutcome Loop<TWait>(TWait strategy)
        where TWait : struct, IWaitStrategy
    {
        int pendingOffset = 0;
        int pendingLength = 0;
        long idleSince = 0;
        long timeoutTicks = _timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : (long)(_timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            bool progress = false;
            if (_sends)
            {
                for (int burst = 0; burst < SendBurst && Sent < _limit; burst++)
                {
                    if (pendingLength == 0)
                    {
                        // Stamped once: a packet that waits for ring space keeps its first timestamp, so the latency
                        // includes the time it queued behind a full ring.
                        pendingOffset = (int)((Sent & 1023) * 64);
                        pendingLength = _sizes.SizeOf(Sent);
                        PacketFormat.Stamp(_source.AsSpan(pendingOffset, pendingLength), Sent, Stopwatch.GetTimestamp());
                    }

                    if (!_end.TrySend(_source.AsSpan(pendingOffset, pendingLength)))
                    {
                        break;
                    }

                    long now = Stopwatch.GetTimestamp();
                    if (Sent == 0)
                    {
                        FirstSendTimestamp = now;
                    }

                    LastSendTimestamp = now;
                    Sent++;
                    SentBytes += pendingLength;
                    pendingLength = 0;
                    progress = true;
                }

                progress |= _end.CompleteSends() != 0;
            }

            if (_receives)
            {
                // Never past the count: a back serving without one keeps sending until this front leaves.
                progress |= _end.Receive(ref _verifier, (int)Math.Min(int.MaxValue, _limit - _verifier.Received)) != 0;
            }

            bool sendDone = !_sends || (Sent >= _limit && !_end.SendsOutstanding);
            bool receiveDone = !_receives || _verifier.Received >= _limit;
            if (sendDone && receiveDone)
            {
                return PumpOutcome.Completed;
            }

            if (progress)
            {
                idleSince = 0;
                continue;
            }

            if (idleSince == 0)
            {
                idleSince = Stopwatch.GetTimestamp();
            }

            // Sleep for what is left of the idle timeout: the peer's notification, its death (the channel's peer check)
            // or a stop request ends the wait sooner.
            long left = timeoutTicks == long.MaxValue ? -1 : timeoutTicks - (Stopwatch.GetTimestamp() - idleSince);
            if (timeoutTicks != long.MaxValue && left <= 0)
            {
                return PumpOutcome.TimedOut;
            }

            TimeSpan wait = left < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds((double)left / Stopwatch.Frequency);
            EventWaitResult waited;
            try
            {
                waited = _end.Wait(_waitOn, strategy, wait, _stop);
            }
            catch (OperationCanceledException)
            {
                return PumpOutcome.Stopped;
            }
            catch (PeerGoneException)
            {
                return PumpOutcome.PeerGone;
            }

            if (waited == EventWaitResult.TimedOut && Stopwatch.GetTimestamp() - idleSince >= timeoutTicks)
            {
                return PumpOutcome.TimedOut;
            }

            if (waited == EventWaitResult.ChannelClosed)
            {
                return PumpOutcome.PeerGone;
            }
        }
    }
}
