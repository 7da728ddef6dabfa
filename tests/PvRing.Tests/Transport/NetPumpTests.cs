// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;
using PvRing.Transport;

namespace PvRing.Tests.Transport;

/// <summary>
/// Four pumps on four threads (front and back, each direction on its own split event channel), sleeping on their channels
/// between bursts: every packet arrives once, in order, intact, and no wake-up is lost (every wait is bounded).
/// </summary>
public sealed class NetPumpTests
{
    public static TheoryData<NetGrantModes, bool> Modes()
    {
        var data = new TheoryData<NetGrantModes, bool>();
        foreach (NetGrantModes mode in new[] { NetGrantModes.Copy, NetGrantModes.Map, NetGrantModes.Persistent, NetGrantModes.DirectMap, NetGrantModes.DeferredUnmap })
        {
            data.Add(mode, true);
            data.Add(mode, false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Pumps_OnePerChannelSleepingBetweenPackets_EveryPacketOnceInOrder(NetGrantModes mode, bool splitChannels)
    {
        const int Count = 1500;
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        NetDeviceFeatures wants = NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = mode, SplitEventChannels = splitChannels };
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, wants);
        await using (front)
        await using (back)
        {
            using var cancel = new CancellationTokenSource(PacketExchange.Timeout);
            Func<long, int> size = i => 1 + (int)((i * 7919) % 65535);
            var waitStrategy = new SpinThenBlockWait(50);
            Task[] pumps = splitChannels
                ?
                [
                    Task.Run(() => Send(i => front.Queue.TrySend(i), () => front.Queue.Wait(NetDirections.Transmit, waitStrategy, TimeSpan.FromSeconds(5), cancel.Token), Count, size)),
                    Task.Run(() => Send(i => back.Queue.TrySend(i), () => back.Queue.Wait(NetDirections.Receive, waitStrategy, TimeSpan.FromSeconds(5), cancel.Token), Count, size)),
                    Task.Run(() => ReceiveAtBack(back, Count, size, waitStrategy, cancel.Token)),
                    Task.Run(() => ReceiveAtFront(front, Count, size, waitStrategy, cancel.Token)),
                ]
                :
                [
                    // One channel per end: one pump per end serves both rings, as one interrupt handler would.
                    Task.Run(() => FrontBoth(front, Count, size, waitStrategy, cancel.Token)),
                    Task.Run(() => BackBoth(back, Count, size, waitStrategy, cancel.Token)),
                ];
            await Task.WhenAll(pumps).WaitAsync(PacketExchange.Timeout);
        }
    }

    private static void Send(Func<byte[], bool> trySend, Func<EventWaitResult> wait, int count, Func<long, int> size)
    {
        var buffer = new byte[NetPacketLimits.MaxPacketSize];
        for (long i = 0; i < count; i++)
        {
            int length = PacketPattern.Fill(buffer, i, size(i));
            byte[] packet = buffer[..length];
            while (!trySend(packet))
            {
                Assert.NotEqual(EventWaitResult.ChannelClosed, wait());
            }
        }
    }

    private static void ReceiveAtBack(NetBackend back, int count, Func<long, int> size, SpinThenBlockWait strategy, CancellationToken token)
    {
        var checker = new PacketExchange.Checker(size);
        while (checker.Received < count)
        {
            if (back.Queue.Receive(ref checker) == 0)
            {
                Assert.NotEqual(EventWaitResult.ChannelClosed, back.Queue.Wait(NetDirections.Transmit, strategy, TimeSpan.FromSeconds(5), token));
            }
        }
    }

    private static void ReceiveAtFront(NetFrontend front, int count, Func<long, int> size, SpinThenBlockWait strategy, CancellationToken token)
    {
        var checker = new PacketExchange.Checker(size);
        while (checker.Received < count)
        {
            if (front.Queue.Receive(ref checker) == 0)
            {
                Assert.NotEqual(EventWaitResult.ChannelClosed, front.Queue.Wait(NetDirections.Receive, strategy, TimeSpan.FromSeconds(5), token));
            }
        }
    }

    private static void FrontBoth(NetFrontend front, int count, Func<long, int> size, SpinThenBlockWait strategy, CancellationToken token)
    {
        var checker = new PacketExchange.Checker(size);
        var buffer = new byte[NetPacketLimits.MaxPacketSize];
        long sent = 0;
        while (sent < count || checker.Received < count)
        {
            bool progress = false;
            if (sent < count && front.Queue.TrySend(buffer.AsSpan(0, PacketPattern.Fill(buffer, sent, size(sent)))))
            {
                sent++;
                progress = true;
            }

            progress |= front.Queue.Receive(ref checker) > 0;
            if (!progress)
            {
                Assert.NotEqual(EventWaitResult.ChannelClosed, front.Queue.Wait(NetDirections.Both, strategy, TimeSpan.FromSeconds(5), token));
            }
        }
    }

    private static void BackBoth(NetBackend back, int count, Func<long, int> size, SpinThenBlockWait strategy, CancellationToken token)
    {
        var checker = new PacketExchange.Checker(size);
        var buffer = new byte[NetPacketLimits.MaxPacketSize];
        long sent = 0;
        while (sent < count || checker.Received < count)
        {
            bool progress = false;
            if (sent < count && back.Queue.TrySend(buffer.AsSpan(0, PacketPattern.Fill(buffer, sent, size(sent)))))
            {
                sent++;
                progress = true;
            }

            progress |= back.Queue.Receive(ref checker) > 0;
            if (!progress)
            {
                Assert.NotEqual(EventWaitResult.ChannelClosed, back.Queue.Wait(NetDirections.Both, strategy, TimeSpan.FromSeconds(5), token));
            }
        }
    }
}
