// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using PvRing.Events;
using PvRing.Memory;
using PvRing.Rings;

namespace PvRing.Harness;

/// <summary>
/// One request outstanding at a time between this process (the front, on the calling thread) and
/// <c>ringpingpong-peer</c> (the back, pinned to the back CPU): a ring of 8-byte requests whose sides wait with
/// spin-then-block (notifications through an event channel when a side sleeps), the same ring with busy-spin, and a
/// Unix domain socket pair sending one byte each way. Shared by <c>ringpingpong</c> and the matrix's wait-strategy
/// cells. The peer serves a fixed schedule: <c>reps + 1</c> repetitions (the first a warm-up) of <c>rounds</c> round
/// trips per mode in <see cref="Modes"/> order, then one round trip per mode for the idle measurement; callers keep
/// to it.
/// </summary>
internal sealed class RingRoundTripSession : IDisposable
{
    /// <summary>The modes, in the order the peer serves them.</summary>
    public static readonly string[] Modes = ["ring spin-then-block", "ring busy-spin", "unix-socket"];

    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(30);

    private readonly EventDomain _domain;
    private readonly EventChannel _blocking;
    private readonly EventChannel _spinning;
    private readonly FrontRing<ulong, ulong> _blockingRing;
    private readonly FrontRing<ulong, ulong> _spinningRing;
    private readonly Socket _listener;
    private readonly Socket _socket;
    private readonly Process _peer;
    private readonly byte[] _buffer = new byte[1];
    private ulong _sequence;

    public RingRoundTripSession(HostDirectory host, int backCpu, int rounds, int reps)
    {
        Rounds = rounds;
        _domain = EventDomain.Create(host, 1);
        _blocking = _domain.AllocateUnbound(2);
        _spinning = _domain.AllocateUnbound(2);
        _blockingRing = RingFile.Create<ulong, ulong>(host, "ring-block", 0);
        _spinningRing = RingFile.Create<ulong, ulong>(host, "ring-spin", 0);
        _blockingRing.Notifier = _blocking;
        _spinningRing.Notifier = _spinning;
        string socketPath = host.GetFilePath("pingpong.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen(1);
        _peer = PeerProcess.Start(
            backCpu, "ringpingpong-peer", host.Path, Text(_blocking.Port), Text(_spinning.Port), socketPath, Text(backCpu), Text(rounds), Text(reps));
        _socket = _listener.Accept();
        PeerProcess.WaitReady(_peer, "ringpingpong-peer", s_limit);
    }

    /// <summary>Round trips per mode and repetition.</summary>
    public int Rounds { get; }

    /// <summary>The front's channel counters, spin-then-block and busy-spin.</summary>
    public string FrontCounters => $"spin-then-block {_blocking.Counters}; busy-spin {_spinning.Counters}";

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
        if (mode < 2)
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
        _spinning.Dispose();
        _blocking.Dispose();
        _domain.Dispose();
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>One request out, one response back: publish (notify only if the back armed req_event), then wait.</summary>
    private static void RoundTrip<TWait>(FrontRing<ulong, ulong> ring, EventChannel channel, TWait strategy, ulong sequence)
        where TWait : struct, IWaitStrategy
    {
        using (SlotBatch<ulong> batch = ring.ClaimRequests(1))
        {
            batch[0] = sequence;
        }

        ulong response;
        while (!ring.TryConsumeResponse(out response))
        {
            RingWaitResult result = ring.WaitForResponses(channel, strategy, s_limit, CancellationToken.None);
            if (result != RingWaitResult.WorkAvailable)
            {
                throw new InvalidOperationException($"Round trip {sequence} ended with {result}.");
            }
        }

        if (response != ~sequence)
        {
            throw new InvalidOperationException($"Round trip {sequence} came back as {response}.");
        }
    }

    private EventChannel? Channel(int mode) => mode switch
    {
        0 => _blocking,
        1 => _spinning,
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
            default:
                _socket.Send(_buffer);
                _socket.Receive(_buffer);
                break;
        }
    }
}
