// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Grants;
using PvRing.Tests.Infrastructure;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;

namespace PvRing.Tests.Hardening;

/// <summary>
/// Every shared-memory format the library owns carries a magic and a version checked on attach (issue 16): a peer's
/// file of another version, or of the wrong size, is the library's clear error naming the values, never a mapping of
/// garbage. (The memory exchange's messages: <c>SealedMemoryExchangeTests</c>; the ring file sidecar: <c>SampleBadInputTests</c>.)
/// </summary>
public sealed unsafe class AttachVersionTests
{
    [Theory]
    [InlineData(4096)]
    [InlineData(8192)]
    [InlineData(24576)]
    public void BindInterdomain_PeerEventPageOfTheWrongSize_ProtocolErrorNamingTheLength(int length)
    {
        using var host = new TempHost();
        using (SharedMemoryFile bogus = host.Host.CreateFile("evtchn-9", length))
        {
        }

        using EventDomain domain = EventDomain.Create(host.Host, 1);
        PvRingProtocolException e = Assert.Throws<PvRingProtocolException>(() => domain.BindInterdomain(9, 1));
        Assert.Contains($"length={length}, expected={EventPageLayout.FileSize}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BindInterdomain_PeerEventPageOfAnotherVersion_ProtocolErrorNamingBothVersions()
    {
        using var host = new TempHost();
        using EventDomain peer = EventDomain.Create(host.Host, 9);
        EventChannel port = peer.AllocateUnbound(1);
        using (SharedMemoryFile page = host.Host.OpenFile("evtchn-9"))
        {
            *(ushort*)(page.Pointer + EventPageLayout.VersionOffset) = EventPageLayout.Version + 1;
        }

        using EventDomain domain = EventDomain.Create(host.Host, 1);
        PvRingProtocolException e = Assert.Throws<PvRingProtocolException>(() => domain.BindInterdomain(9, port.Port));
        Assert.Contains($"version={EventPageLayout.Version + 1}", e.Message, StringComparison.Ordinal);
        Assert.Contains($"reads magic=0x{EventPageLayout.Magic:X8} version={EventPageLayout.Version}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GrantDomain_Create_WritesTheTableHeaderInTheReservedEntries()
    {
        using var domains = new GrantTestDomains(arenaFrames: 16);
        byte[] table = File.ReadAllBytes(domains.Host.FilePath("gnttab-1"));
        Assert.Equal(GrantTableLayout.Magic, BitConverter.ToUInt32(table, GrantTableLayout.MagicOffset));
        Assert.Equal(GrantTableLayout.Version, BitConverter.ToUInt16(table, GrantTableLayout.VersionOffset));
        Assert.Equal(16u, BitConverter.ToUInt32(table, GrantTableLayout.ArenaFramesOffset));
        Assert.True(GrantTableLayout.ArenaFramesOffset + 4 <= GrantTableLayout.ReservedEntries * GrantTableLayout.EntrySize, "the header must stay inside the reserved references");
    }

    [Theory]
    [InlineData(GrantTableLayout.VersionOffset, 2u, "version=2 (expected 1)")]
    [InlineData(GrantTableLayout.MagicOffset, 0x41414141u, "magic=0x41414141 (expected 0x54475650)")]
    [InlineData(GrantTableLayout.HeaderReservedOffset, 5u, "reserved=5")]
    [InlineData(GrantTableLayout.ArenaFramesOffset, 999u, "arena-frames=16, table-says=999")]
    public void ForeignDomainOpen_TableHeaderNotThisVersions_ProtocolErrorNamingTheValue(int offset, uint value, string expected)
    {
        using var host = new TempHost();
        using GrantDomain front = GrantDomain.Create(host.Host, 1, new GrantDomainOptions { ArenaFrames = 16 });
        using (SharedMemoryFile table = host.Host.OpenFile("gnttab-1"))
        {
            if (offset == GrantTableLayout.VersionOffset || offset == GrantTableLayout.HeaderReservedOffset)
            {
                *(ushort*)(table.Pointer + offset) = (ushort)value;
            }
            else
            {
                *(uint*)(table.Pointer + offset) = value;
            }
        }

        PvRingProtocolException e = Assert.Throws<PvRingProtocolException>(() => ForeignDomain.Open(host.Host, 0, 1));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(UnmapFlushLayout.VersionOffset, 7u, "version=7 (expected 1)")]
    [InlineData(UnmapFlushLayout.MagicOffset, 0u, "magic=0x00000000 (expected 0x4C465650)")]
    public void DeferredUnmapMapper_FlushPageNotThisVersions_ProtocolErrorNamingTheValue(int offset, uint value, string expected)
    {
        using var domains = new GrantTestDomains();
        using DeferredUnmapFrontend flush = DeferredUnmapFrontend.Create(domains.Host.Host, GrantTestDomains.FrontId, GrantTestDomains.BackId);
        using (SharedMemoryFile page = domains.Host.Host.OpenFile("gntflush-1-0"))
        {
            if (offset == UnmapFlushLayout.VersionOffset)
            {
                *(ushort*)(page.Pointer + offset) = (ushort)value;
            }
            else
            {
                *(uint*)(page.Pointer + offset) = value;
            }
        }

        PvRingProtocolException e = Assert.Throws<PvRingProtocolException>(() =>
        {
            using var mapper = new DeferredUnmapMapper(domains.Foreign);
        });
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("name=gntflush-1-0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeferredUnmapMapper_FlushPageOfThisVersion_Attaches()
    {
        using var domains = new GrantTestDomains();
        using DeferredUnmapFrontend flush = DeferredUnmapFrontend.Create(domains.Host.Host, GrantTestDomains.FrontId, GrantTestDomains.BackId);
        using var mapper = new DeferredUnmapMapper(domains.Foreign);
        Assert.Equal(GrantScheme.DeferredUnmap, mapper.Scheme);
    }

    [Fact]
    public void Inspect_GrantTableAndFlushPage_ShowTheirVersions()
    {
        using var domains = new GrantTestDomains(arenaFrames: 16);
        using DeferredUnmapFrontend flush = DeferredUnmapFrontend.Create(domains.Host.Host, GrantTestDomains.FrontId, GrantTestDomains.BackId);
        var table = HostFileInspector.Inspect(domains.Host.FilePath("gnttab-1")).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("0x54475650", table["magic"]);
        Assert.Equal("1", table["version"]);
        Assert.Equal("16", table["arena-frames"]);
        var page = HostFileInspector.Inspect(domains.Host.FilePath("gntflush-1-0")).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("0x4C465650", page["magic"]);
        Assert.Equal("1", page["version"]);
    }
}
