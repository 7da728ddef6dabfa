// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Events;

namespace PvRing.Tests.Events;

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
        using var host = new TempHost();
        using EventDomain front = EventDomain.Create(host.Host, 1);
        using EventDomain intruder = EventDomain.Create(host.Host, 3);
        using EventChannel forTwo = front.AllocateUnbound(2);
        PvRingException e = Assert.Throws<PvRingException>(() => intruder.BindInterdomain(1, forTwo.Port));
        Assert.Contains("not unbound for domain 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BindInterdomain_PeerDomainReplacedByANewPage_BindsTheNewPage()
    {
        using var host = new TempHost();
        using EventDomain back = EventDomain.Create(host.Host, 0);
        EventDomain first = EventDomain.Create(host.Host, 1);
        EventChannel firstChannel = first.AllocateUnbound(0);
        using EventChannel toFirst = back.BindInterdomain(1, firstChannel.Port);
        firstChannel.Dispose();
        first.Dispose();

        // The same domain id again (a restarted front end): the back's cached page of the old one must not be used.
        using EventDomain second = EventDomain.Create(host.Host, 1);
        using EventChannel secondChannel = second.AllocateUnbound(0);
        using EventChannel toSecond = back.BindInterdomain(1, secondChannel.Port);
        Assert.Equal(EventChannelState.Bound, toSecond.State);
        toSecond.Notify();
        Assert.Equal(EventWaitResult.Signaled, secondChannel.Wait(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Create_DomainInUseByLiveProcess_Throws()
    {
        using var host = new TempHost();
        using EventDomain first = EventDomain.Create(host.Host, 5);
        Assert.Throws<PvRingException>(() => EventDomain.Create(host.Host, 5));
    }

    [Fact]
    public void Create_InvalidOptions_ThrowsNamingTheOption()
    {
        using var host = new TempHost();
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(
            () => EventDomain.Create(host.Host, 1, new EventDomainOptions { PeerCheckInterval = TimeSpan.Zero }));
        Assert.Equal("PeerCheckInterval", e.ParamName);
    }
}
