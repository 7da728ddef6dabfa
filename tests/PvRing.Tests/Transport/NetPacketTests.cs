// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;
using PvRing.Grants;
using PvRing.Transport;

namespace PvRing.Tests.Transport;

/// <summary>
/// Real packets through a connected net device, in one process: every grant mode x packet sizes x ring features all on
/// and all off x each direction and both; every packet once, in order, intact.
/// </summary>
public sealed class NetPacketTests
{
    private static readonly NetGrantModes[] s_modes = [NetGrantModes.Copy, NetGrantModes.Map, NetGrantModes.Persistent, NetGrantModes.DirectMap, NetGrantModes.DeferredUnmap];

    public static TheoryData<NetGrantModes, int, bool, NetDirections> Matrix()
    {
        var data = new TheoryData<NetGrantModes, int, bool, NetDirections>();
        foreach (NetGrantModes mode in s_modes)
        {
            // 0 stands for random sizes 1..65535.
            foreach (int size in new[] { 1, 64, 1500, 4096, 4097, NetPacketLimits.MaxPacketSize, 0 })
            {
                foreach (bool allOn in new[] { true, false })
                {
                    foreach (NetDirections direction in new[] { NetDirections.Transmit, NetDirections.Receive, NetDirections.Both })
                    {
                        data.Add(mode, size, allOn, direction);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Packets_EveryModeSizeFeatureSetAndDirection_ArriveOnceInOrderIntact(NetGrantModes mode, int size, bool allOn, NetDirections direction)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        NetDeviceFeatures features = allOn
            ? NetDeviceFeatures.All with { RingPageOrder = 2, GrantModes = mode }
            : NetDeviceFeatures.Classic with { GrantModes = mode, ScatterGather = true };
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(features with { GrantModes = NetGrantModes.All, RingPageOrder = 4 }, features);
        await using (front)
        await using (back)
        {
            Assert.Equal(features, front.Features);
            Assert.Equal(features, back.Features);
            var random = new Random(size + (int)mode);
            int[] sizes = Enumerable.Range(0, 4096).Select(_ => random.Next(1, NetPacketLimits.MaxPacketSize + 1)).ToArray();
            Func<long, int> sizeOf = size == 0 ? i => sizes[i % sizes.Length] : _ => size;

            // Enough packets to wrap the rings and reuse every id: three rings' worth of slots.
            int slotsPerPacket = size == 0 ? 9 : NetPacketLimits.SlotsFor(size);
            int count = Math.Max(8, 3 * front.Queue.TransmitRing.Size / slotsPerPacket);
            PacketExchange.Run(front, back, direction, count, sizeOf);
        }
    }

    [Theory]
    [InlineData(NetGrantModes.Map)]
    [InlineData(NetGrantModes.DirectMap)]
    [InlineData(NetGrantModes.DeferredUnmap)]
    public async Task Connect_FrontWantsModeBackDoesNotOffer_FallsBackToCopy(NetGrantModes wanted)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(
            NetDeviceFeatures.All with { GrantModes = NetGrantModes.All & ~wanted },
            NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = wanted });
        await using (front)
        await using (back)
        {
            Assert.Equal(NetGrantModes.Copy, front.Features.GrantModes);
            Assert.Equal(NetGrantModes.Copy, back.Features.GrantModes);
            Assert.IsType<GrantCopier>(back.Queue.TransmitMapper);
            PacketExchange.Run(front, back, NetDirections.Both, 300, i => 1 + (int)(i % 9000));
        }
    }

    [Fact]
    public async Task TrySend_WithoutScatterGather_PacketOverAPageIsRefusedAndNothingIsSent()
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, NetDeviceFeatures.Classic);
        await using (front)
        await using (back)
        {
            Assert.False(front.Features.ScatterGather);
            Assert.Throws<ArgumentException>(() => front.Queue.TrySend(new byte[4097]));
            Assert.Throws<ArgumentException>(() => back.Queue.TrySend(new byte[4097]));
            Assert.Throws<ArgumentException>(() => front.Queue.TrySend([]));
            Assert.Equal(0, front.Queue.TransmitRing.OutstandingRequests);
            PacketExchange.Run(front, back, NetDirections.Both, 600, _ => 4096);
        }
    }

    [Fact]
    public async Task Packets_DeferredUnmap_PagesComeBackOnlyThroughFlushes()
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        NetDeviceFeatures wants = NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = NetGrantModes.DeferredUnmap };
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, wants);
        await using (front)
        await using (back)
        {
            // Many more packets than ids: impossible unless flushed pages are reused.
            PacketExchange.Run(front, back, NetDirections.Both, 10 * front.Queue.TransmitRing.Size, _ => 1500);
            Assert.True(front.Queue.FlushesRequested > 0);
            Assert.True(back.Queue.Flushes > 0);
        }
    }

    [Fact]
    public async Task Receive_FewPacketsAtATimeWhileTheBackHasNoBuffers_BuffersArePostedAtOnce()
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = NetGrantModes.Copy });
        await using (front)
        await using (back)
        {
            // The back fills every posted buffer; the front then takes a few packets only.
            int sent = 0;
            while (back.Queue.TrySend(new byte[64]))
            {
                sent++;
            }

            Assert.Equal(front.Queue.ReceiveRing.Size, sent);
            var checker = new CountingHandler();
            Assert.Equal(10, front.Queue.Receive(ref checker, maxPackets: 10));

            // Fewer than a refill batch are free, but the back has none: they must be posted now, or both ends stall.
            Assert.True(back.Queue.TrySend(new byte[64]));
        }
    }

    [Fact]
    public async Task CompleteTransmits_DeferredIdsBackAfterAFlush_ReportsThemSoTheSenderDoesNotSleep()
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(
            NetDeviceFeatures.All, NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = NetGrantModes.DeferredUnmap });
        await using (front)
        await using (back)
        {
            // Use every id, let the back answer them all: their pages stay mapped until a flush.
            while (front.Queue.TrySend(new byte[4096]))
            {
            }

            var counter = new CountingHandler();
            Assert.True(back.Queue.Receive(ref counter) > 0);

            // The responses come back, but no id can: a flush is requested instead.
            Assert.Equal(0, front.Queue.CompleteTransmits());
            Assert.False(front.Queue.TrySend(new byte[4096]));
            Assert.True(front.Queue.FlushesRequested > 0);

            // The back serves the flush; the next call must say that ids came back (a sender that saw 0 would sleep
            // with nothing left to wake it).
            _ = back.Queue.Receive(ref counter);
            Assert.True(front.Queue.CompleteTransmits() > 0);
            Assert.True(front.Queue.TrySend(new byte[4096]));
        }
    }

    [Fact]
    public async Task Wait_NoTraffic_TimesOutAndWakesForAPacket()
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, NetDeviceFeatures.All with { GrantModes = NetGrantModes.Copy });
        await using (front)
        await using (back)
        {
            Assert.Equal(EventWaitResult.TimedOut, back.Queue.Wait(NetDirections.Transmit, new SpinThenBlockWait(100), TimeSpan.FromMilliseconds(50)));
            Assert.Throws<ArgumentException>(() => back.Queue.Wait(NetDirections.Both, new SpinThenBlockWait(), TimeSpan.Zero));
            Task<EventWaitResult> waiting = Task.Run(() => back.Queue.Wait(NetDirections.Transmit, new SpinThenBlockWait(0), TimeSpan.FromSeconds(30)));
            Assert.True(front.Queue.TrySend(new byte[100]));
            Assert.Equal(EventWaitResult.Signaled, await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        }
    }

    private struct CountingHandler : INetPacketHandler
    {
        public int Packets;

        public void OnPacket(NetPacket packet) => Packets++;
    }
}
