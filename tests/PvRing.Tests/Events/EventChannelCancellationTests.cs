// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;

namespace PvRing.Tests.Events;

public sealed class EventChannelCancellationTests
{
    [Fact]
    public async Task Wait_CancelledWhileSleeping_ThrowsOperationCanceled()
    {
        using var pair = new ChannelPair();
        using var cancel = new CancellationTokenSource();
        var waiter = Task.Run(() => pair.BackChannel.Wait(new SpinThenBlockWait(0), Timeout.InfiniteTimeSpan, cancel.Token));
        Assert.True(SpinWait.SpinUntil(() => pair.BackChannel.Counters.Blocks > 0, ChannelPair.Bound), "the waiter never went to sleep");
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter.WaitAsync(ChannelPair.Bound));
    }

    [Fact]
    public void Wait_BusySpinNoEvent_TimesOut()
    {
        using var pair = new ChannelPair();
        Assert.Equal(EventWaitResult.TimedOut, pair.BackChannel.Wait(default(BusySpinWait), TimeSpan.FromMilliseconds(20), CancellationToken.None));
        Assert.Equal(0, pair.BackChannel.Counters.Blocks);
    }
}
