// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using PvRing.Grants;

namespace PvRing.Tests.Grants;

public sealed class GrantTableLayoutTests
{
    [Fact]
    public void Layout_MatchesGrantEntryV1()
    {
        Assert.Equal(8, GrantTableLayout.EntrySize);
        Assert.Equal(0, GrantTableLayout.FlagsOffset);
        Assert.Equal(2, GrantTableLayout.DomidOffset);
        Assert.Equal(4, GrantTableLayout.FrameOffset);
        Assert.Equal(512, GrantTableLayout.EntriesPerPage);
        Assert.Equal(8u, GrantTableLayout.ReservedEntries);
        Assert.Equal(1, (int)GrantEntryFlags.PermitAccess);
        Assert.Equal(0x04, (int)GrantEntryFlags.ReadOnly);
        Assert.Equal(0x08, (int)GrantEntryFlags.Reading);
        Assert.Equal(0x10, (int)GrantEntryFlags.Writing);
        Assert.Equal(-10, (int)GrantStatus.BadCopyArg);
        Assert.Equal(-13, (int)GrantStatus.NoSpace);
    }

    [Fact]
    public void GrantAccess_WritesEntryBytesAsXenDoes()
    {
        using var domains = new GrantTestDomains(tablePages: 2);
        Assert.Equal(1024u, domains.Front.EntryCount);
        uint reference = domains.Front.GrantAccess(7, 5, readOnly: true);
        Assert.Equal(8u, reference);
        byte[] table = File.ReadAllBytes(domains.Host.FilePath("gnttab-1"));
        Assert.Equal(2 * 4096, table.Length);
        ReadOnlySpan<byte> entry = table.AsSpan((int)reference * 8, 8);
        Assert.Equal(0x05, BinaryPrimitives.ReadUInt16LittleEndian(entry));
        Assert.Equal(7, BinaryPrimitives.ReadUInt16LittleEndian(entry[2..]));
        Assert.Equal(5u, BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]));
        Assert.Equal(16 * 4096, new FileInfo(domains.Host.FilePath("arena-1")).Length);
    }
}
