// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Events;

namespace PvRing.Tests.Events;

public sealed unsafe class EventPageLayoutTests
{
    [Fact]
    public void FileSize_FivePages_PortTableFitsExactly()
    {
        Assert.Equal(5 * 4096, EventPageLayout.FileSize);
        Assert.Equal(EventPageLayout.MaxPorts / 8, EventPageLayout.MaskOffset - EventPageLayout.PendingOffset - 128);
    }

    [Fact]
    public void Create_NewPage_HeaderFieldsAtDocumentedOffsets()
    {
        using var pair = new ChannelPair();
        using PvRing.Memory.SharedMemoryFile page = pair.Host.OpenFile("evtchn-1");
        byte* b = page.Pointer;
        Assert.Equal(0x56455650u, *(uint*)b);
        Assert.Equal((byte)'P', b[0]);
        Assert.Equal(1, *(ushort*)(b + 4));
        Assert.Equal(1, *(ushort*)(b + 6));
        Assert.Equal(Environment.ProcessId, *(int*)(b + 8));
        Assert.Equal(1024u, *(uint*)(b + 12));
        Assert.Equal(1u, *(uint*)(b + 24));

        // Port entry: state 2 (interdomain), remote domid 2, remote port = the back end's port.
        ulong binding = *(ulong*)(b + 4096 + (pair.FrontChannel.Port * 16));
        Assert.Equal(2UL | (2UL << 16) | ((ulong)pair.BackChannel.Port << 32), binding);

        pair.BackChannel.Notify();
        ulong pending = *(ulong*)(b + 256 + ((pair.FrontChannel.Port >> 6) * 8));
        Assert.NotEqual(0UL, pending & (1UL << (pair.FrontChannel.Port & 63)));
    }
}
