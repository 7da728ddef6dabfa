// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Transport;

namespace PvRing.Tests.Transport;

/// <summary>
/// The queues' batch work happens after a publish, a little at a time, not in the one send that finds the ring full: a
/// front takes its transmit answers once a quarter of the ring is outstanding (before, a round trip every ring's worth of
/// packets took a whole ring of answers and ids between one packet and the next: apipingpong's p99), and a back stages
/// the buffers posted since once it holds fewer than a chain's worth. Nothing is lost or reordered either way; and a back
/// that may be short of buffers gets them back from the receive that frees a batch, before it returns.
/// </summary>
public sealed class NetQueueHousekeepingTests
{
    public static TheoryData<NetGrantModes, bool> Cases() => new()
    {
        { NetGrantModes.Persistent, true },
        { NetGrantModes.Persistent, false },
        { NetGrantModes.Copy, false },
        { NetGrantModes.DeferredUnmap, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task PingPong_TheFrontTakesItsAnswersAQuarterRingAtATime_NothingLostOrReordered(NetGrantModes mode, bool inline)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(
            NetDeviceFeatures.All, NetDeviceFeatures.All with { RingPageOrder = 2, GrantModes = mode, InlineData = inline });
        await using (front)
        await using (back)
        {
            Assert.Equal(inline, front.Features.InlineData);
            int size = front.Queue.TransmitRing.Size;
            int quarter = size / 4;
            var buffer = new byte[NetPacketLimits.MaxPacketSize];
            int mostOutstanding = 0;
            for (int i = 0; i < 3 * size; i++)
            {
                byte[] packet = Pattern(64 + (i % 3 * 100), i);
                Assert.True(front.Queue.TrySend(packet), $"packet {i}: the front had no room");
                mostOutstanding = Math.Max(mostOutstanding, front.Queue.TransmitRing.OutstandingRequests);

                Assert.True(back.Queue.TryReceive(buffer, out int length), $"packet {i} did not reach the back");
                Assert.Equal(packet, buffer.AsSpan(0, length).ToArray());
                Assert.True(back.Queue.TrySend(buffer.AsSpan(0, length)), $"packet {i}: the back had no buffer");
                Assert.True(front.Queue.TryReceive(buffer, out length), $"packet {i} did not come back");
                Assert.Equal(packet, buffer.AsSpan(0, length).ToArray());
            }

            // Outstanding requests never pass a quarter of the ring: each send that reaches it takes the answers there are.
            Assert.InRange(mostOutstanding, 1, quarter);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BackOutOfBuffers_TheFrontsReceivesPostThemAgainBeforeTheyReturn(bool inline)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(
            NetDeviceFeatures.All, NetDeviceFeatures.All with { RingPageOrder = 2, GrantModes = NetGrantModes.Persistent, InlineData = inline });
        await using (front)
        await using (back)
        {
            // The back fills every buffer the front posted.
            var packet = new byte[64];
            int sent = 0;
            while (back.Queue.TrySend(packet))
            {
                sent++;
            }

            Assert.Equal(front.Queue.ReceiveRing.Size, sent);

            // A batch of them taken one at a time: the last receive posts the batch before it returns, so the back can
            // send again with no further call from this front (one that now sends and waits would otherwise leave it
            // waiting).
            var buffer = new byte[NetPacketLimits.MaxPacketSize];
            int batch = front.Queue.ReceiveRing.Size / 4;
            for (int i = 0; i < batch; i++)
            {
                Assert.False(back.Queue.TrySend(packet), $"the back sent with {i} buffers back, before a batch was due");
                Assert.True(front.Queue.TryReceive(buffer, out int length));
                Assert.Equal(packet.Length, length);
            }

            for (int i = 0; i < batch; i++)
            {
                Assert.True(back.Queue.TrySend(packet), $"the back had {i} of the {batch} buffers back");
            }
        }
    }

    private static byte[] Pattern(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
