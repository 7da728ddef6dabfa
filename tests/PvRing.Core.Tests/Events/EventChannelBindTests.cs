// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;

namespace PvRing.Core.Tests.Events;

public sealed class EventChannelBindTests
{
    [Fact]
    public void BindInterdomain_UnboundPort_BothEndsAgreeOnPorts()
    {
        using var pair = new ChannelPair();
        Assert.Equal(EventChannelState.Bound, pair.BackChannel.State);
        Assert.Equal(pair.FrontChannel.Port, pair.BackChannel.RemotePort);
        Assert.Equal(pair.BackChannel.Port, pair.FrontChannel.RemotePort);
        Assert.Equal(EventChannelState.Bound, pair.FrontChannel.State);
        Assert.InRange(pair.FrontChannel.Port, 1, 1023);
    }

    [Fact]
    public void BindInterdomain_PortAlreadyBound_Throws()
    {
        using var pair = new ChannelPair();
        Assert.Throws<PvRingException>(() => pair.Back.BindInterdomain(1, pair.FrontChannel.Port));
    }

    [Fact]
    public void BindInterdomain_PortReservedForAnotherDomain_Throws()
    {
        using var host = new TemporaryHost();
        using EventDomain front = EventDomain.Create(host.Host, 1);
        using EventDomain intruder = EventDomain.Create(host.Host, 3);
        using EventChannel forTwo = front.AllocateUnbound(2);
        PvRingException e = Assert.Throws<PvRingException>(() => intruder.BindInterdomain(1, forTwo.Port));
        Assert.Contains("not unbound for domain 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_DomainInUseByLiveProcess_Throws()
    {
        using var host = new TemporaryHost();
        using EventDomain first = EventDomain.Create(host.Host, 5);
        Assert.Throws<PvRingException>(() => EventDomain.Create(host.Host, 5));
    }

    [Fact]
    public void Create_InvalidOptions_ThrowsNamingTheOption()
    {
        using var host = new TemporaryHost();
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(
            () => EventDomain.Create(host.Host, 1, new EventDomainOptions { PeerCheckInterval = TimeSpan.Zero }));
        Assert.Equal("PeerCheckInterval", e.ParamName);
    }
}
