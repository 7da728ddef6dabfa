// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;
using PvRing.Transport;

namespace PvRing.Tests.Transport;

/// <summary>
/// The single-packet receive into a caller's buffer (a packet that does not fit stays queued, whole) and the asynchronous
/// wait, on both queue ends.
/// </summary>
public sealed class NetQueueReceiveTests
{
    [Theory]
    [InlineData(NetGrantModes.Copy)]
    [InlineData(NetGrantModes.Persistent)]
    [InlineData(NetGrantModes.DirectMap)]
    public async Task TryReceive_BufferTooSmall_PacketStaysForALargerBuffer(NetGrantModes mode)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = mode });
        await using (front)
        await using (back)
        {
            var small = new byte[100];
            var large = new byte[NetPacketLimits.MaxPacketSize];
            Assert.False(back.Queue.TryReceive(large, out int none));
            Assert.Equal(0, none);
            Assert.False(front.Queue.TryReceive(large, out none));
            Assert.Equal(0, none);

            // Front to back: a 5000-byte packet (a two-slot chain), then a 10-byte one.
            byte[] first = Pattern(5000, 1);
            byte[] second = Pattern(10, 2);
            Assert.True(front.Queue.TrySend(first));
            Assert.True(front.Queue.TrySend(second));
            Assert.False(back.Queue.TryReceive(small, out int needed));
            Assert.Equal(5000, needed);
            Assert.False(back.Queue.TryReceive(small, out needed));
            Assert.Equal(5000, needed);
            Assert.True(back.Queue.TryReceive(large, out int length));
            Assert.Equal(first, large[..length]);
            Assert.True(back.Queue.TryReceive(small, out length));
            Assert.Equal(second, small[..length]);

            // Back to front, the same.
            Assert.True(back.Queue.TrySend(first));
            Assert.True(back.Queue.TrySend(second));
            Assert.False(front.Queue.TryReceive(small, out needed));
            Assert.Equal(5000, needed);
            Assert.True(front.Queue.TryReceive(large, out length));
            Assert.Equal(first, large[..length]);
            Assert.True(front.Queue.TryReceive(small, out length));
            Assert.Equal(second, small[..length]);
            Assert.Equal(2, front.Queue.PacketsReceived);
            Assert.Equal(2, back.Queue.PacketsReceived);
        }
    }

    [Fact]
    public async Task WaitAsync_WorkWaiting_CompletesSynchronously_ElseWakesForAPacketAndTimesOut()
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = NetGrantModes.Copy });
        await using (front)
        await using (back)
        {
            Assert.Equal(EventWaitResult.TimedOut, await back.Queue.WaitAsync(NetDirections.Transmit, TimeSpan.FromMilliseconds(50)));
            await Assert.ThrowsAsync<ArgumentException>(async () => await back.Queue.WaitAsync(NetDirections.Both, TimeSpan.Zero));

            ValueTask<EventWaitResult> waiting = back.Queue.WaitAsync(NetDirections.Transmit, TimeSpan.FromSeconds(30));
            Assert.False(waiting.IsCompleted);
            Assert.True(front.Queue.TrySend(new byte[64]));
            Assert.Equal(EventWaitResult.Signaled, await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(30)));

            ValueTask<EventWaitResult> ready = back.Queue.WaitAsync(NetDirections.Transmit, TimeSpan.FromSeconds(30));
            Assert.True(ready.IsCompletedSuccessfully);
            Assert.Equal(EventWaitResult.Signaled, await ready);

            // The front's receive side: wakes when the back fills a buffer.
            ValueTask<EventWaitResult> receiving = front.Queue.WaitAsync(NetDirections.Receive, TimeSpan.FromSeconds(30));
            Assert.True(back.Queue.TrySend(new byte[64]));
            Assert.Equal(EventWaitResult.Signaled, await receiving.AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public async Task WaitAsync_Cancelled_ThrowsOperationCanceled()
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync();
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = NetGrantModes.Copy });
        await using (front)
        await using (back)
        {
            using var cancel = new CancellationTokenSource();
            ValueTask<EventWaitResult> waiting = back.Queue.WaitAsync(NetDirections.Transmit, TimeSpan.FromSeconds(30), cancel.Token);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        }
    }

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
