// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;
using PvRing.Tests.Infrastructure;
using PvRing.Protocols.Netif;
using PvRing.Transport;

namespace PvRing.Tests.Connections;

/// <summary>
/// <see cref="PvRingConnection.ReceivePacketAsync"/>: one-page packets lent without a copy (the shared buffer itself), longer
/// ones gathered into pooled arrays, in order, in every grant mode and both directions; held packets keep their buffers out of
/// the ring until disposed; the end of the stream; a hostile back that answers a lent buffer twice.
/// </summary>
public sealed class PvRingPacketTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private static readonly int[] s_sizes = [1, 64, 4096, 4097, 65535, 100, 1500];

    public static TheoryData<NetGrantModes, bool> ModesAndDirections()
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
    [MemberData(nameof(ModesAndDirections))]
    public async Task ReceivePacketAsync_EveryModeAndDirection_OnePageLentInPlaceLongerGathered_InOrder(NetGrantModes mode, bool toBack)
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("lease", new() { Host = host.Host });
        (PvRingConnection front, PvRingConnection back) = await PairAsync(listener, host, "lease", mode);
        await using (front)
        await using (back)
        {
            (PvRingConnection sender, PvRingConnection receiver) = toBack ? (front, back) : (back, front);
            for (int round = 0; round < 40; round++)
            {
                foreach (int size in s_sizes)
                {
                    await sender.SendAsync(Pattern(size, round)).AsTask().WaitAsync(s_bound);
                    using PvRingPacket packet = await receiver.ReceivePacketAsync().AsTask().WaitAsync(s_bound);
                    Assert.Equal(size, packet.Length);
                    Assert.True(packet.Span.SequenceEqual(Pattern(size, round)), $"round {round}, {size} bytes");

                    // One page: the shared buffer itself; longer: a pooled array.
                    Assert.Equal(size > 4096, MemoryMarshal.TryGetArray(packet.Memory, out _));
                }
            }
        }
    }

    [Theory]
    [InlineData(NetGrantModes.Persistent, true)]
    [InlineData(NetGrantModes.Persistent, false)]
    [InlineData(NetGrantModes.Copy, true)]
    [InlineData(NetGrantModes.DeferredUnmap, false)]
    public async Task ReceivePacketAsync_ManyHeld_BeyondTheZeroCopyBudgetCopied_DisposedOutOfOrder_RingKeepsWorking(NetGrantModes mode, bool toBack)
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("held", new() { Host = host.Host });
        (PvRingConnection front, PvRingConnection back) = await PairAsync(listener, host, "held", mode);
        await using (front)
        await using (back)
        {
            (PvRingConnection sender, PvRingConnection receiver) = toBack ? (front, back) : (back, front);
            const int Held = 100;
            int budget = receiver.SlotLendBudget;
            Assert.InRange(budget, 1, 64);
            var packets = new PvRingPacket[Held];
            for (int i = 0; i < Held; i++)
            {
                await sender.SendAsync(Pattern(200, i)).AsTask().WaitAsync(s_bound);
                packets[i] = await receiver.ReceivePacketAsync().AsTask().WaitAsync(s_bound);
            }

            for (int i = 0; i < Held; i++)
            {
                Assert.True(packets[i].Span.SequenceEqual(Pattern(200, i)), $"packet {i}");

                // The first ones are lent in place, up to half the ring; the rest are copies (the peer can always send).
                Assert.Equal(i >= budget, MemoryMarshal.TryGetArray(packets[i].Memory, out _));
            }

            // Give them back out of order, twice each (the second does nothing); a stale view then fails loudly.
            for (int i = Held - 1; i >= 0; i -= 2)
            {
                packets[i].Dispose();
            }

            for (int i = 0; i < Held; i++)
            {
                packets[i].Dispose();
                packets[i].Dispose();
            }

            Assert.ThrowsAny<ArgumentOutOfRangeException>(() => packets[0].Span.Length);

            // Every buffer went back: many more packets than the ring holds still pass.
            for (int i = 0; i < 1000; i++)
            {
                await sender.SendAsync(Pattern(300, i)).AsTask().WaitAsync(s_bound);
                using PvRingPacket packet = await receiver.ReceivePacketAsync().AsTask().WaitAsync(s_bound);
                Assert.True(packet.Span.SequenceEqual(Pattern(300, i)), $"packet {i} after the held ones");
            }
        }
    }

    [Fact]
    public async Task ReceivePacketAsync_WaitsForThePacket_ThenEmptyAtTheEndOfTheStream()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("wait", new() { Host = host.Host, SpinCount = 0 });
        (PvRingConnection front, PvRingConnection back) = await PairAsync(listener, host, "wait", NetGrantModes.Persistent);
        await using (back)
        {
            ValueTask<PvRingPacket> waiting = back.ReceivePacketAsync();
            Assert.False(waiting.IsCompleted);
            await front.SendAsync(Pattern(10, 1));
            using (PvRingPacket packet = await waiting.AsTask().WaitAsync(s_bound))
            {
                Assert.True(packet.Span.SequenceEqual(Pattern(10, 1)));
            }

            await front.SendAsync(Pattern(20, 2));
            await front.DisposeAsync();
            using (PvRingPacket last = await back.ReceivePacketAsync().AsTask().WaitAsync(s_bound))
            {
                Assert.True(last.Span.SequenceEqual(Pattern(20, 2)));
            }

            PvRingPacket end = await back.ReceivePacketAsync().AsTask().WaitAsync(s_bound);
            Assert.True(end.IsEmpty);
            Assert.Equal(0, end.Length);
            end.Dispose();
        }
    }

    [Fact]
    public async Task ReceiveAsync_AfterPacketsWereTaken_WaitsOnTheChannel_ThenTakesTheNext()
    {
        // Taken packets leave their buffers answered until a batch is reposted: that is not work for a waiting receive,
        // which must sleep on the channel (return a pending ValueTask) rather than poll them forever.
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("idle", new() { Host = host.Host, SpinCount = 0 });
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("idle", new() { Host = host.Host, SpinCount = 0 });
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        await using PvRingConnection front = await connecting.WaitAsync(s_bound);
        var buffer = new byte[100];
        for (int i = 0; i < 3; i++)
        {
            await back.SendAsync(Pattern(10 + i, i)).AsTask().WaitAsync(s_bound);
            Assert.Equal(10 + i, await front.ReceiveAsync(buffer).AsTask().WaitAsync(s_bound));
            Assert.True(buffer.AsSpan(0, 10 + i).SequenceEqual(Pattern(10 + i, i)));
        }

        ValueTask<int> waiting = default;
        await Task.Run(() => waiting = front.ReceiveAsync(buffer)).WaitAsync(s_bound);
        Assert.False(waiting.IsCompleted);
        await back.SendAsync(Pattern(40, 9)).AsTask().WaitAsync(s_bound);
        Assert.Equal(40, await waiting.AsTask().WaitAsync(s_bound));
        Assert.True(buffer.AsSpan(0, 40).SequenceEqual(Pattern(40, 9)));
    }

    [Fact]
    public async Task SendAsync_WaitingOnAFullRing_CompletesWhenTheBackTakesOnePacketAndGoesIdle()
    {
        // The back's answer to the packet it took must reach the front at once: a back that takes one packet and then does
        // nothing more with the connection (no receive, no wait) must not leave the front's send waiting for ring space.
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("full", new() { Host = host.Host, SpinCount = 0 });
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("full", new() { Host = host.Host, SpinCount = 0 });
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        await using PvRingConnection front = await connecting.WaitAsync(s_bound);
        byte[] packet = Pattern(64, 1);
        int sent = 0;
        while (front.TrySend(packet))
        {
            sent++;
        }

        Assert.True(sent > 0);
        ValueTask sending = front.SendAsync(packet);
        Assert.False(sending.IsCompleted);
        var buffer = new byte[100];
        Assert.True(back.TryReceive(buffer, out int length));
        Assert.Equal(64, length);
        await sending.AsTask().WaitAsync(s_bound);
    }

    [Fact]
    public async Task TryTake_HostileBackAnswersALentBufferAgain_ProtocolError()
    {
        await using Transport.NetDeviceTestBed bed = await Transport.NetDeviceTestBed.CreateAsync();
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = NetGrantModes.Persistent });
        await using (front)
        await using (back)
        {
            Assert.True(back.Queue.TrySend(Pattern(64, 3)));
            Assert.True(front.Queue.TryTake(out _, out int id, out int length));
            Assert.Equal(64, length);

            // The lent buffer's id answered a second time while the application holds it.
            back.Queue.ReceiveRing.ProduceResponse(new NetifRxResponse { Id = (ushort)id, Status = 64 });
            back.Queue.ReceiveRing.PushResponses();
            PvRingProtocolException refused = Assert.Throws<PvRingProtocolException>(() => front.Queue.TryTake(out _, out _, out _));
            Assert.Contains($"id={id}, which is not in flight", refused.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TrySend_HostileBackAnswersAnIdNotInFlight_TheSendThatFindsItFailsTheConnection()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("bad-answer", new() { Host = host.Host });
        (PvRingConnection front, PvRingConnection back) = await PairAsync(listener, host, "bad-answer", NetGrantModes.Persistent);
        await using (front)
        await using (back)
        {
            byte[] packet = Pattern(64, 5);
            Assert.True(front.TrySend(packet));

            // The back answers the request with an id the front never gave out.
            PvRing.Rings.BackRing<NetifTxRequest, NetifTxResponse> ring = back.BackQueue!.TransmitRing;
            Assert.True(ring.TryConsumeRequest(out _));
            ring.ProduceResponse(new NetifTxResponse { Id = (ushort)(ring.Size + 5), Status = NetifStatus.Okay });
            ring.PushResponses();

            // The front takes answers after a publish once a quarter of the ring is out: that send finds it.
            PvRingProtocolException refused = Assert.Throws<PvRingProtocolException>(() =>
            {
                for (int i = 0; i < ring.Size; i++)
                {
                    _ = front.TrySend(packet);
                }
            });
            Assert.Contains("not in flight", refused.Message, StringComparison.Ordinal);

            // The connection is failed: the next send says so, as it would after a receive's protocol error.
            Assert.True(SpinWait.SpinUntil(() =>
            {
                try
                {
                    _ = front.TrySend(packet);
                    return false;
                }
                catch (PvRingException e) when (e is not PvRingProtocolException)
                {
                    return true;
                }
                catch (PvRingProtocolException)
                {
                    return false;
                }
            }, s_bound), "the failed connection still took packets");
        }
    }

    private static byte[] Pattern(int size, int seed)
    {
        var bytes = new byte[size];
        for (int i = 0; i < size; i++)
        {
            bytes[i] = (byte)((i * 31) + seed);
        }

        return bytes;
    }

    private static async Task<(PvRingConnection Front, PvRingConnection Back)> PairAsync(PvRingListener listener, TempHost host, string name, NetGrantModes mode)
    {
        Task<PvRingConnection> front = PvRingConnection.ConnectAsync(name, new() { Host = host.Host, Wants = NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = mode } });
        PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        return (await front.WaitAsync(s_bound), back);
    }
}
