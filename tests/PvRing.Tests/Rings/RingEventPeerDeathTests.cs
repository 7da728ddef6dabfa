// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;

namespace PvRing.Tests.Rings;

/// <summary>A consumer asleep on an empty ring whose peer process is killed ends with an error, not a hang.</summary>
public sealed class RingEventPeerDeathTests
{
    [Fact]
    public async Task WaitForResponses_PeerKilledWhileAsleep_ThrowsPeerGone()
    {
        using var session = new RingEventSession("hold", order: 0, count: 0);
        int pid = session.Peer.Id;
        var waiter = Task.Run(() => session.Front.WaitForResponses(session.Channel, new SpinThenBlockWait(), RingEventSession.Bound, CancellationToken.None));
        Assert.True(SpinWait.SpinUntil(() => session.Channel.Counters.Blocks > 0, RingEventSession.Bound), "the waiter never went to sleep");
        session.Peer.Kill();
        PeerGoneException gone = await Assert.ThrowsAsync<PeerGoneException>(() => waiter.WaitAsync(RingEventSession.Bound));
        Assert.Equal(pid, gone.ProcessId);
    }

    [Fact]
    public async Task WaitForResponsesAsync_PeerKilledWhileWaiting_ThrowsPeerGone()
    {
        using var session = new RingEventSession("hold", order: 0, count: 0);
        ValueTask<EventWaitResult> wait = session.Front.WaitForResponsesAsync(session.Channel, RingEventSession.Bound, CancellationToken.None);
        Assert.False(wait.IsCompleted, "an empty ring must not complete the wait");
        session.Peer.Kill();
        await Assert.ThrowsAsync<PeerGoneException>(() => wait.AsTask().WaitAsync(RingEventSession.Bound));
    }

    [Fact]
    public void WaitForResponses_PeerAlive_TimesOutWithoutWork()
    {
        using var session = new RingEventSession("hold", order: 0, count: 0);
        EventWaitResult result = session.Front.WaitForResponses(session.Channel, default(SpinThenBlockWait), TimeSpan.FromMilliseconds(300), CancellationToken.None);
        Assert.Equal(EventWaitResult.TimedOut, result);
        Assert.True(session.Channel.Counters.Blocks > 0, "a dry ring with a blocking strategy must sleep");
    }
}
