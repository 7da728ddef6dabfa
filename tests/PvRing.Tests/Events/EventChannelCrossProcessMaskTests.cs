// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Events;

namespace PvRing.Tests.Events;

public sealed class EventChannelCrossProcessMaskTests
{
    [Fact]
    public void Notify_PeerBurstWhileMasked_OneEventOnUnmask()
    {
        using var host = new TempHost();
        using EventDomain domain = EventDomain.Create(host.Host, 1);
        using EventChannel channel = domain.AllocateUnbound(2);
        channel.Mask();
        using ChildProcess peer = CrossProcess.StartPeer(host, channel, "burst", count: 1000);
        Assert.Equal("ready", peer.ReadLine(CrossProcess.Bound));
        Assert.Equal("sent 1000 999", peer.ReadLine(CrossProcess.Bound));

        Assert.True(channel.IsPending);
        Assert.Equal(EventWaitResult.TimedOut, channel.Wait(TimeSpan.FromMilliseconds(50)));
        channel.Unmask();
        Assert.Equal(EventWaitResult.Signaled, channel.Wait(CrossProcess.Bound));
        Assert.Equal(EventWaitResult.TimedOut, channel.Wait(TimeSpan.FromMilliseconds(50)));
        channel.Notify();
        Assert.Equal(0, peer.WaitForExit(CrossProcess.Bound));
    }
}
