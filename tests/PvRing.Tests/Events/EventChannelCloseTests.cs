// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;

namespace PvRing.Tests.Events;

public sealed class EventChannelCloseTests
{
    [Fact]
    public async Task Dispose_PeerSleeping_PeerWakesWithChannelClosed()
    {
        using var pair = new ChannelPair();
        var waiter = Task.Run(() => pair.BackChannel.Wait(new SpinThenBlockWait(0), ChannelPair.Bound, CancellationToken.None));
        Assert.True(SpinWait.SpinUntil(() => pair.BackChannel.Counters.Blocks > 0, ChannelPair.Bound), "the waiter never went to sleep");
        pair.FrontChannel.Dispose();
        Assert.Equal(EventWaitResult.ChannelClosed, await waiter.WaitAsync(ChannelPair.Bound));
        Assert.Equal(EventChannelState.PeerClosed, pair.BackChannel.State);
    }

    [Fact]
    public async Task Dispose_OwnWaiterSleeping_WaiterGetsChannelClosed()
    {
        using var pair = new ChannelPair();
        var waiter = Task.Run(() => pair.BackChannel.Wait(new SpinThenBlockWait(0), ChannelPair.Bound, CancellationToken.None));
        Assert.True(SpinWait.SpinUntil(() => pair.BackChannel.Counters.Blocks > 0, ChannelPair.Bound), "the waiter never went to sleep");
        pair.BackChannel.Dispose();
        Assert.Equal(EventWaitResult.ChannelClosed, await waiter.WaitAsync(ChannelPair.Bound));
    }

    [Fact]
    public void Notify_AfterPeerClosed_IsDropped()
    {
        using var pair = new ChannelPair();
        pair.BackChannel.Dispose();
        Assert.Equal(EventWaitResult.ChannelClosed, pair.FrontChannel.Wait(ChannelPair.Bound));
        pair.FrontChannel.Notify();
        Assert.Equal(0, pair.FrontChannel.Counters.NotificationsSent);
    }

    [Fact]
    public async Task WaitAsync_PeerCloses_CompletesWithChannelClosed()
    {
        using var pair = new ChannelPair();
        ValueTask<EventWaitResult> wait = pair.BackChannel.WaitAsync(ChannelPair.Bound);
        pair.FrontChannel.Dispose();
        Assert.Equal(EventWaitResult.ChannelClosed, await wait.AsTask().WaitAsync(ChannelPair.Bound));
    }
}
