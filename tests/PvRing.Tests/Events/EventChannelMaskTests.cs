// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;

namespace PvRing.Tests.Events;

public sealed class EventChannelMaskTests
{
    [Fact]
    public void Wait_MaskedAndNotified_StaysPendingUntilUnmask()
    {
        using var pair = new ChannelPair();
        pair.BackChannel.Mask();
        pair.FrontChannel.Notify();
        Assert.True(pair.BackChannel.IsPending);
        Assert.Equal(EventWaitResult.TimedOut, pair.BackChannel.Wait(TimeSpan.FromMilliseconds(50)));
        Assert.True(pair.BackChannel.IsPending);
        pair.BackChannel.Unmask();
        Assert.Equal(EventWaitResult.Signaled, pair.BackChannel.Wait(ChannelPair.Bound));
        Assert.False(pair.BackChannel.IsPending);
    }

    [Fact]
    public async Task Unmask_PendingWhileWaiterSleeps_WakesWaiter()
    {
        using var pair = new ChannelPair();
        pair.BackChannel.Mask();
        var waiter = Task.Run(() => pair.BackChannel.Wait(new SpinThenBlockWait(0), ChannelPair.Bound, CancellationToken.None));
        Assert.True(SpinWait.SpinUntil(() => pair.BackChannel.Counters.Blocks > 0, ChannelPair.Bound), "the waiter never went to sleep");
        pair.FrontChannel.Notify();
        Assert.Equal(0, pair.FrontChannel.Counters.SystemCalls);
        pair.BackChannel.Unmask();
        Assert.Equal(EventWaitResult.Signaled, await waiter.WaitAsync(ChannelPair.Bound));
    }
}
