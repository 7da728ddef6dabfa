// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Events;

namespace PvRing.Tests.Events;

public sealed class EventChannelIdleCpuTests
{
    [Fact]
    public void Wait_PeerSleepsForOneSecond_UsesAlmostNoCpu()
    {
        using var host = new TempHost();
        using EventDomain domain = EventDomain.Create(host.Host, 1);
        using EventChannel channel = domain.AllocateUnbound(2);
        using ChildProcess peer = CrossProcess.StartPeer(host, channel, "idle");
        Assert.Equal("ready", peer.ReadLine(CrossProcess.Bound));

        // Let the peer finish its spin phase and start-up work before measuring.
        Assert.Equal(EventWaitResult.TimedOut, channel.Wait(TimeSpan.FromMilliseconds(300)));
        long before = peer.CpuTicks();
        Assert.Equal(EventWaitResult.TimedOut, channel.Wait(TimeSpan.FromSeconds(1)));
        long used = peer.CpuTicks() - before;

        // 100 ticks = one CPU-second; a sleeping waiter (with its 200 ms liveness checks) must stay under 5 %.
        Assert.True(used <= 5, $"The sleeping peer used {used} clock ticks of CPU in one second.");
        channel.Notify();
        Assert.Equal(EventWaitResult.Signaled, channel.Wait(CrossProcess.Bound));
        Assert.StartsWith("woke Signaled", peer.ReadLine(CrossProcess.Bound), StringComparison.Ordinal);
        channel.Notify();
        Assert.Equal(0, peer.WaitForExit(CrossProcess.Bound));
    }
}
