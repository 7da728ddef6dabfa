// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using PvRing.Events;
using PvRing.Transport;

namespace PvRing.Samples;

/// <summary>
/// Runs one connection's pumps, one thread per event channel (<see cref="PacketPump{TEnd}"/>), and reports what they
/// moved. A pump that ends other than Completed cancels <c>stop</c>, so its sibling does not wait for a run that is over.
/// </summary>
internal static class PacketSession
{
    public static PacketPump<TEnd>[] Run<TEnd>(
        TEnd end, bool splitEventChannels, NetDirections directions, PacketSizes sizes, long? count, TimeSpan timeout, WaitMode wait, CancellationTokenSource stop)
        where TEnd : struct, IPacketEnd
    {
        // With one shared channel both rings are one pump's; with split channels each ring's channel has its own
        // waiter (a channel's pending bit wakes one waiter's check, not two).
        NetDirections[] groups = !splitEventChannels || directions != NetDirections.Both
            ? [directions]
            : [NetDirections.Transmit, NetDirections.Receive];
        var pumps = groups.Select(g => new PacketPump<TEnd>(end, g, sizes, count, timeout, stop.Token)).ToArray();
        var threads = pumps.Select(pump => new Thread(() =>
        {
            PumpOutcome outcome = wait switch
            {
                WaitMode.Spin => pump.Run(default(BusySpinWait)),
                WaitMode.Yield => pump.Run(new SpinThenYieldWait()),
                _ => pump.Run(new SpinThenBlockWait()),
            };
            if (outcome != PumpOutcome.Completed)
            {
                stop.Cancel();
            }
        })
        { Name = "pump", IsBackground = true }).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        // Bounded: every pump's wait has the timeout, or ends when stop is cancelled.
        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        return pumps;
    }

    /// <summary>The first failure of any pump, if one failed.</summary>
    public static Exception? FailureOf<TEnd>(PacketPump<TEnd>[] pumps)
        where TEnd : struct, IPacketEnd => pumps.Select(p => p.Failure).FirstOrDefault(f => f is not null);

    /// <summary>Prints what each direction moved: sent (packets/s, GB/s) and received (the same, and latency percentiles).</summary>
    public static void Report<TEnd>(string side, PacketPump<TEnd>[] pumps, NetDirections sends)
        where TEnd : struct, IPacketEnd
    {
        string sendName = sends == NetDirections.Transmit ? "tx" : "rx";
        string receiveName = sends == NetDirections.Transmit ? "rx" : "tx";
        foreach (PacketPump<TEnd> pump in pumps)
        {
            if (pump.SendsPackets)
            {
                ReportSent(side, sendName, pump.Sent, pump.SentBytes, pump.FirstSendTimestamp, pump.LastSendTimestamp);
            }

            if (pump.ReceivesPackets)
            {
                ReportReceived(side, receiveName, pump.Received, pump.ReceivedBytes, pump.FirstReceiveTimestamp, pump.LastReceiveTimestamp, pump.Latency);
            }
        }
    }

    /// <summary>Prints what one direction sent: packets/s and GB/s, and its <c>result:</c> line.</summary>
    public static void ReportSent(string side, string ring, long packets, long bytes, long first, long last)
    {
        double seconds = Seconds(first, last);
        Console.WriteLine($"{side}: {ring}: sent {packets:N0} packets, {bytes:N0} bytes, in {seconds:0.000} s: {Rates(packets, bytes, seconds)}");
        Console.WriteLine($"result: side={side} ring={ring} role=send packets={packets} bytes={bytes} seconds={seconds:0.000000}");
    }

    /// <summary>Prints what one direction received: rates, one-way latency percentiles, and its <c>result:</c> line.</summary>
    public static void ReportReceived(string side, string ring, long packets, long bytes, long first, long last, LatencyHistogram latency)
    {
        double seconds = Seconds(first, last);
        Console.WriteLine(
            $"{side}: {ring}: received {packets:N0} packets, {bytes:N0} bytes, each verified (sequence, length, CRC32C), in {seconds:0.000} s: " +
            $"{Rates(packets, bytes, seconds)}");
        if (latency.Count > 0)
        {
            Console.WriteLine(
                $"{side}: {ring}: one-way latency (send stamp to receive, one CLOCK_MONOTONIC) p50 {Micro(latency.PercentileNanoseconds(0.5))} us, " +
                $"p99 {Micro(latency.PercentileNanoseconds(0.99))} us, p99.9 {Micro(latency.PercentileNanoseconds(0.999))} us, max {Micro(latency.MaxNanoseconds)} us ({latency.Count:N0} samples)");
        }

        Console.WriteLine(
            $"result: side={side} ring={ring} role=receive packets={packets} bytes={bytes} seconds={seconds:0.000000} " +
            $"p50_ns={latency.PercentileNanoseconds(0.5)} p99_ns={latency.PercentileNanoseconds(0.99)} p999_ns={latency.PercentileNanoseconds(0.999)}");
    }

    private static double Seconds(long first, long last) => (double)(last - first) / Stopwatch.Frequency;

    // The window runs from the first packet to the last, so it counts n - 1 intervals.
    private static string Rates(long packets, long bytes, double seconds) => seconds <= 0 || packets < 2
        ? "too few packets to time"
        : $"{(packets - 1) / seconds:N0} packets/s, {bytes / seconds / 1e9:0.000} GB/s";

    private static string Micro(long nanoseconds) => (nanoseconds / 1000.0).ToString("0.0", CultureInfo.InvariantCulture);
}
