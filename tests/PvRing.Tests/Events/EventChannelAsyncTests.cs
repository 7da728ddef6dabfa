// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;

namespace PvRing.Tests.Events;

public sealed class EventChannelAsyncTests
{
    [Fact]
    public async Task WaitAsync_AlreadyPending_CompletesSynchronously()
    {
        using var pair = new ChannelPair();
        pair.FrontChannel.Notify();
        ValueTask<EventWaitResult> wait = pair.BackChannel.WaitAsync(ChannelPair.Bound);
        Assert.True(wait.IsCompletedSuccessfully);
        Assert.Equal(EventWaitResult.Signaled, await wait);
    }

    [Fact]
    public async Task WaitAsync_NotifiedLater_DispatcherCompletesItRepeatedly()
    {
        using var pair = new ChannelPair();
        for (int i = 0; i < 200; i++)
        {
            ValueTask<EventWaitResult> wait = pair.BackChannel.WaitAsync(ChannelPair.Bound);
            pair.FrontChannel.Notify();
            Assert.Equal(EventWaitResult.Signaled, await wait.AsTask().WaitAsync(ChannelPair.Bound));
        }
    }

    [Fact]
    public async Task WaitAsync_NoEvent_TimesOut()
    {
        using var pair = new ChannelPair();
        EventWaitResult result = await pair.BackChannel.WaitAsync(TimeSpan.FromMilliseconds(50)).AsTask().WaitAsync(ChannelPair.Bound);
        Assert.Equal(EventWaitResult.TimedOut, result);
    }

    [Fact]
    public async Task WaitAsync_Cancelled_ThrowsOperationCanceled()
    {
        using var pair = new ChannelPair();
        using var cancel = new CancellationTokenSource();
        ValueTask<EventWaitResult> wait = pair.BackChannel.WaitAsync(cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.AsTask().WaitAsync(ChannelPair.Bound));
    }

    [Fact]
    public async Task WaitAsync_SecondWhileFirstPending_Throws()
    {
        using var pair = new ChannelPair();
        ValueTask<EventWaitResult> first = pair.BackChannel.WaitAsync(ChannelPair.Bound);
        Assert.Throws<InvalidOperationException>(() => pair.BackChannel.WaitAsync(ChannelPair.Bound));
        pair.FrontChannel.Notify();
        Assert.Equal(EventWaitResult.Signaled, await first.AsTask().WaitAsync(ChannelPair.Bound));
    }
}
