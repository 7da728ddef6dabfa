// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Events;

namespace PvRing.Tests.Events;

public sealed unsafe class EventChannelHostilePeerTests
{
    [Fact]
    public void Notify_BindingOverwrittenWithGarbage_ThrowsProtocolException()
    {
        using var pair = new ChannelPair();
        WriteBinding(pair, 2, pair.BackChannel.Port, 0xFFFF_FFFF_0000_00FFUL);
        PvRingProtocolException e = Assert.Throws<PvRingProtocolException>(pair.BackChannel.Notify);
        Assert.Contains("raw=0x", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Notify_AllocatingEndsBindingZeroedBeforeItLearnedThePeer_DroppedOrTheLibrarysException()
    {
        // The allocating end has not attached to the binder yet (it learns the binder's page on first use): its bound
        // binding is still 0, and a peer that writes 0 into the binding word once took the fast path to a null page.
        using var pair = new ChannelPair();
        WriteBinding(pair, 1, pair.FrontChannel.Port, 0);
        Exception? thrown = Record.Exception(pair.FrontChannel.Notify);
        Assert.True(thrown is null or PvRingException, $"Notify threw {thrown}");
        Assert.False(pair.BackChannel.IsPending, "an event went out on a port the page says is free");
    }

    [Fact]
    public void Wait_BindingNamesAnotherDomain_ThrowsProtocolException()
    {
        using var pair = new ChannelPair();
        pair.FrontChannel.Notify();
        WriteBinding(pair, 2, pair.BackChannel.Port, 2UL | (7UL << 16) | ((ulong)pair.FrontChannel.Port << 32));
        Assert.Throws<PvRingProtocolException>(() => pair.BackChannel.Wait(ChannelPair.Bound));
    }

    [Fact]
    public void BindInterdomain_PeerPageWithBadMagic_ThrowsProtocolException()
    {
        using var host = new TempHost();
        using (PvRing.Memory.SharedMemoryFile bogus = host.Host.CreateFile("evtchn-9", 20480))
        {
            bogus.GetSpan(0, 4).Fill(0x41);
        }

        using EventDomain domain = EventDomain.Create(host.Host, 1);
        Assert.Throws<PvRingProtocolException>(() => domain.BindInterdomain(9, 1));
    }

    private static void WriteBinding(ChannelPair pair, ushort domain, int port, ulong value)
    {
        using PvRing.Memory.SharedMemoryFile page = pair.Host.OpenFile($"evtchn-{domain}");
        *(ulong*)(page.Pointer + 4096 + (port * 16)) = value;
    }
}
