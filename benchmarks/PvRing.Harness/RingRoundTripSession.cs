// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Rings;

namespace PvRing.Harness;

/// <summary>
/// One message outstanding at a time between this process (the front, on the calling thread) and
/// <c>ringpingpong-peer</c> (the back, pinned to the back CPU), in any of the <see cref="Modes"/>: a ring of 8-byte
/// requests whose sides wait with spin-then-block (notifications through an event channel when a side sleeps) or
/// busy-spin, a bare event channel notified each way (spin-then-block or busy-spin), and a Unix domain socket pair
/// sending one byte each way. Shared by <c>ringpingpong</c>, <c>pingpong</c> and the matrix's wait-strategy cells.
/// The peer serves a fixed schedule: <c>reps + 1</c> repetitions (the first a warm-up) of <c>rounds</c> round trips
/// per mode of the session, in the session's order, then one round trip per mode for the idle measurement; callers
/// keep to it.
/// </summary>
internal sealed class RingRoundTripSession : IDisposable
{
    /// <summary>Every mode; a session runs some of them, in the order it is given.</summary>
    public static readonly string[] Modes = ["ring spin-then-block", "ring busy-spin", "unix-socket", "spin-then-block", "busy-spin"];

    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(30);

    private readonly EventDomain _domain;
    private readonly EventChannel _blocking;
    private readonly EventChannel _spinning;
    private readonly EventChannel _eventBlocking;
    private readonly EventChannel _eventSpinning;
    private readonly FrontRing<ulong, ulong> _blockingRing;
    private readonly FrontRing<ulong, ulong> _spinningRing;
    private readonly Socket _listener;
    private readonly Socket _socket;
    private readonly Process _peer;
    private readonly byte[] _buffer = new byte[1];
    private ulong _sequence;

    /// <param name="host">The host directory (rings, event page, socket).</param>
    /// <param name="backCpu">Where the peer runs.</param>
    /// <param name="rounds">Round trips per mode and repetition.</param>
    /// <param name="reps">Repetitions after the warm-up one.</param>
    /// <param name="modes">The <see cref="Modes"/> (indices) the session runs, in the order the peer serves them.</param>
    public RingRoundTripSession(HostDirectory host, int backCpu, int rounds, int reps, int[] modes)
    {
        Rounds = rounds;
        _domain = EventDomain.Create(host, 1);
        _blocking = _domain.AllocateUnbound(2);
        _spinning = _domain.AllocateUnbound(2);
        _eventBlocking = _domain.AllocateUnbound(2);
        _eventSpinning = _domain.AllocateUnbound(2);
        _blockingRing = RingFile.Create<ulong, ulong>(host, "ring-block", RingVariant.Classic(0));
        _spinningRing = RingFile.Create<ulong, ulong>(host, "ring-spin", RingVariant.Classic(0));
        _blockingRing.Notifier = _blocking;
        _spinningRing.Notifier = _spinning;
        string socketPath = host.GetFilePath("pingpong.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen(1);
        _peer = PeerProcess.Start(
            backCpu, "ringpingpong-peer", host.Path, string.Join(',', new[] { _blocking, _spinning, _eventBlocking, _eventSpinning }.Select(c => Text(c.Port))),
            socketPath, Text(backCpu), Text(rounds), Text(reps), string.Join(',', modes.Select(m => Text(m))));
        _socket = _listener.Accept();
        PeerProcess.WaitReady(_peer, "ringpingpong-peer", s_limit);
    }

    /// <summary>Round trips per mode and repetition.</summary>
    public int Rounds { get; }

    /// <summary>The front's channel counters: rings spin-then-block and busy-spin, bare channels spin-then-block and busy-spin.</summary>
    public string FrontCounters =>
        $"ring spin-then-block {_blocking.Counters}; ring busy-spin {_spinning.Counters}; spin-then-block {_eventBlocking.Counters}; busy-spin {_eventSpinning.Counters}";

    /// <summary>
    /// <see cref="Rounds"/> round trips of mode <paramref name="mode"/> (an index into <see cref="Modes"/>), each
    /// recorded in <paramref name="histogram"/>; returns what the front counted per round trip and the CPU time of
    /// both processes per round trip.
    /// </summary>
    public RoundTripCounts Measure(int mode, LatencyHistogram histogram)
    {
        EventChannel? channel = Channel(mode);
        EventChannelCounters before = channel?.Counters ?? default;
        double cpu = ProcessCpu.Self() + ProcessCpu.Seconds(_peer.Id);
        for (int i = 0; i < Rounds; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            RoundTrip(mode);
            histogram.Record(Stopwatch.GetTimestamp() - t0);
        }

        cpu = ProcessCpu.Self() + ProcessCpu.Seconds(_peer.Id) - cpu;
        EventChannelCounters after = channel?.Counters ?? default;
        return channel is null
            ? new RoundTripCounts(double.NaN, double.NaN, cpu / Rounds)
            : new RoundTripCounts(
                (double)(after.NotificationsSent - before.NotificationsSent) / Rounds,
                (double)(after.SystemCalls - before.SystemCalls) / Rounds,
                cpu / Rounds);
    }

    /// <summary>
    /// The idle phase, mode by mode in order: the back waits for one more request while this reads its CPU time over
    /// <paramref name="window"/> (after <paramref name="settle"/>, so that its spin phase is over); then that request.
    /// Returns the back's CPU share (0..1) while it waited.
    /// </summary>
    public double IdleCpu(int mode, TimeSpan settle, TimeSpan window)
    {
        Thread.Sleep(settle);
        double cpu = ProcessCpu.Seconds(_peer.Id);
        long t0 = Stopwatch.GetTimestamp();
        Thread.Sleep(window);
        double share = (ProcessCpu.Seconds(_peer.Id) - cpu) / Stopwatch.GetElapsedTime(t0).TotalSeconds;
        if (mode != 2)
        {
            RoundTrip(mode);
        }
        else
        {
            _socket.Send(_buffer);
        }

        return share;
    }

    /// <summary>After the idle phase: the back's own counters line; fails unless the back exited 0.</summary>
    public string Finish() => Measurement.Finish(_peer, "ringpingpong-peer").Trim();

    public void Dispose()
    {
        if (!_peer.HasExited)
        {
            _peer.Kill(entireProcessTree: true);
        }

        _peer.Dispose();
        _socket.Dispose();
        _listener.Dispose();
        _spinningRing.Dispose();
        _blockingRing.Dispose();
        _eventSpinning.Dispose();
        _eventBlocking.Dispose();
        _spinning.Dispose();
        _blocking.Dispose();
        _domain.Dispose();
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>One request out, one response back: publish (notify only if the back armed req_event), then wait.</summary>
    internal static void RoundTrip<TWait>(FrontRing<ulong, ulong> ring, EventChannel channel, TWait strategy, ulong sequence)
        where TWait : struct, IWaitStrategy
    {
        using (SlotBatch<ulong> batch = ring.ClaimRequests(1))
        {
            batch[0] = sequence;
        }

        ulong response;
        while (!ring.TryConsumeResponse(out response))
        {
            EventWaitResult result = ring.WaitForResponses(channel, strategy, s_limit, CancellationToken.None);
            if (result != EventWaitResult.Signaled)
            {
                throw new InvalidOperationException($"Round trip {sequence} ended with {result}.");
            }
        }

        if (response != ~sequence)
        {
            throw new InvalidOperationException($"Round trip {sequence} came back as {response}.");
        }
    }

    /// <summary>A bare event channel's round trip: notify, wait for the peer's notification.</summary>
    internal static void EventRoundTrip<TWait>(EventChannel channel, TWait strategy)
        where TWait : struct, IWaitStrategy
    {
        channel.Notify();
        ExpectSignaled(channel.Wait(strategy, s_limit, CancellationToken.None));
    }

    /// <summary>A bare channel's wait must end with the peer's event, not a timeout or a closed channel.</summary>
    internal static void ExpectSignaled(EventWaitResult result)
    {
        if (result != EventWaitResult.Signaled)
        {
            throw new InvalidOperationException($"A round trip ended with {result}.");
        }
    }

    private EventChannel? Channel(int mode) => mode switch
    {
        0 => _blocking,
        1 => _spinning,
        3 => _eventBlocking,
        4 => _eventSpinning,
        _ => null,
    };

    private void RoundTrip(int mode)
    {
        switch (mode)
        {
            case 0:
                RoundTrip(_blockingRing, _blocking, new SpinThenBlockWait(), _sequence++);
                break;
            case 1:
                RoundTrip(_spinningRing, _spinning, default(BusySpinWait), _sequence++);
                break;
            case 3:
                EventRoundTrip(_eventBlocking, new SpinThenBlockWait());
                break;
            case 4:
                EventRoundTrip(_eventSpinning, default(BusySpinWait));
                break;
            default:
                _socket.Send(_buffer);
                _socket.Receive(_buffer);
                break;
        }
    }
}
