// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Events;

namespace PvRing.Tests.Events;

public sealed class EventChannelPeerDeathTests
{
    [Fact]
    public async Task Wait_PeerKilledWhileSleeping_ThrowsPeerGone()
    {
        using var host = new TempHost();
        using EventDomain domain = EventDomain.Create(host.Host, 1);
        using EventChannel channel = domain.AllocateUnbound(2);
        using ChildProcess peer = CrossProcess.StartPeer(host, channel, "hold");
        Assert.Equal("ready", peer.ReadLine(CrossProcess.Bound));
        int pid = peer.Id;
        var waiter = Task.Run(() => channel.Wait(CrossProcess.Bound));
        Assert.True(SpinWait.SpinUntil(() => channel.Counters.Blocks > 0, CrossProcess.Bound), "the waiter never went to sleep");
        peer.Kill();
        PeerGoneException gone = await Assert.ThrowsAsync<PeerGoneException>(() => waiter.WaitAsync(CrossProcess.Bound));
        Assert.Equal(pid, gone.ProcessId);
        Assert.Equal(2, gone.DomainId);
    }

    [Fact]
    public async Task WaitAsync_PeerKilled_ThrowsPeerGone()
    {
        using var host = new TempHost();
        using EventDomain domain = EventDomain.Create(host.Host, 1);
        using EventChannel channel = domain.AllocateUnbound(2);
        using ChildProcess peer = CrossProcess.StartPeer(host, channel, "hold");
        Assert.Equal("ready", peer.ReadLine(CrossProcess.Bound));

        // The allocating side learns the peer's page on first use; a short wait attaches it.
        Assert.Equal(EventWaitResult.TimedOut, channel.Wait(TimeSpan.FromMilliseconds(250)));
        ValueTask<EventWaitResult> wait = channel.WaitAsync(CrossProcess.Bound);
        peer.Kill();
        await Assert.ThrowsAsync<PeerGoneException>(() => wait.AsTask().WaitAsync(CrossProcess.Bound));
    }
}
