// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;

namespace PvRing.Tests.Events;

public sealed class EventChannelCoalescingTests
{
    [Fact]
    public void Notify_ManyBeforeWait_DeliversOneEvent()
    {
        using var pair = new ChannelPair();
        for (int i = 0; i < 100; i++)
        {
            pair.FrontChannel.Notify();
        }

        Assert.Equal(EventWaitResult.Signaled, pair.BackChannel.Wait(ChannelPair.Bound));
        Assert.Equal(EventWaitResult.TimedOut, pair.BackChannel.Wait(TimeSpan.FromMilliseconds(50)));
        EventChannelCounters counters = pair.FrontChannel.Counters;
        Assert.Equal(100, counters.NotificationsSent);
        Assert.Equal(99, counters.NotificationsCoalesced);
    }

    [Fact]
    public void Notify_PeerAwake_MakesNoSystemCall()
    {
        using var pair = new ChannelPair();
        pair.FrontChannel.Notify();
        Assert.Equal(EventWaitResult.Signaled, pair.BackChannel.Wait(ChannelPair.Bound));
        Assert.Equal(0, pair.FrontChannel.Counters.SystemCalls);
    }

    [Fact]
    public async Task Notify_PeerSleeping_WakesIt()
    {
        using var pair = new ChannelPair();
        var waiter = Task.Run(() => pair.BackChannel.Wait(new SpinThenBlockWait(0), ChannelPair.Bound, CancellationToken.None));
        Assert.True(SpinWait.SpinUntil(() => pair.BackChannel.Counters.Blocks > 0, ChannelPair.Bound), "the waiter never went to sleep");
        pair.FrontChannel.Notify();
        Assert.Equal(EventWaitResult.Signaled, await waiter.WaitAsync(ChannelPair.Bound));
        Assert.Equal(1, pair.FrontChannel.Counters.SystemCalls);
        Assert.True(pair.BackChannel.Counters.WakeUps >= 1);
    }
}
