// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Grants;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Tests.Grants;

/// <summary>Multi-page rings over grants (hackathon item A): the front's grants, the back's contiguous mapping.</summary>
public sealed class GrantedRingTests
{
    [Fact]
    public void Map_ScatteredFrames_PageIShowsTheFrameOfReferenceI()
    {
        using var domains = new GrantTestDomains(arenaFrames: 32);
        uint[] frames = [17, 3, 29, 8];
        uint[] references = new uint[frames.Length];
        for (int i = 0; i < frames.Length; i++)
        {
            domains.Front.GetFrame(frames[i]).Fill((byte)(0xA0 + i));
            references[i] = domains.Front.GrantAccess(GrantTestDomains.BackId, frames[i], readOnly: false);
        }

        using var mapped = ForeignRing.Map(domains.Foreign, references);
        Assert.Equal(2, mapped.Order);
        using BackRing<NetifTxRequest, NetifTxResponse> back = mapped.Attach<NetifTxRequest, NetifTxResponse>(RingVariant.Classic(2));
        Assert.Equal(RingVariantLayout.SlotCount<NetifTxRequest, NetifTxResponse>(RingVariant.Classic(2)), back.Size);

        // The contiguous view really is the scattered frames: what the back sees at page i is frame i's bytes, and
        // a write through the view lands in the front's frame.
        unsafe
        {
            byte* view = mapped.Address;
            for (int i = 0; i < frames.Length; i++)
            {
                Assert.Equal((byte)(0xA0 + i), view[(i * 4096) + 100]);
                view[(i * 4096) + 200] = (byte)i;
                Assert.Equal((byte)i, domains.Front.GetFrame(frames[i])[200]);
            }
        }
    }

    [Fact]
    public void Map_BadReferenceInTheMiddle_ProtocolErrorAndNothingStaysPinned()
    {
        using var domains = new GrantTestDomains(arenaFrames: 16);
        uint good0 = domains.Front.GrantAccess(GrantTestDomains.BackId, 1, readOnly: false);
        uint good1 = domains.Front.GrantAccess(GrantTestDomains.BackId, 2, readOnly: false);
        uint readOnly = domains.Front.GrantAccess(GrantTestDomains.BackId, 3, readOnly: true);
        uint good3 = domains.Front.GrantAccess(GrantTestDomains.BackId, 4, readOnly: false);

        var e = Assert.Throws<PvRingProtocolException>(() => ForeignRing.Map(domains.Foreign, [good0, good1, readOnly, good3]));
        Assert.Contains("status=PermissionDenied", e.Message, StringComparison.Ordinal);
        Assert.Contains($"ref={readOnly}", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<PvRingProtocolException>(() => ForeignRing.Map(domains.Foreign, [good0, 4000]));
        Assert.Contains("status=BadGntref", e.Message, StringComparison.Ordinal);

        // The pages pinned before the failure were released: the front can end access to all of them.
        Assert.True(domains.Front.TryEndAccess(good0));
        Assert.True(domains.Front.TryEndAccess(good1));
        Assert.True(domains.Front.TryEndAccess(good3));
    }

    [Fact]
    public void Map_APageRepeated_ProtocolErrorNamingBothPagesAndNothingPinned()
    {
        using var domains = new GrantTestDomains(arenaFrames: 16);
        uint good0 = domains.Front.GrantAccess(GrantTestDomains.BackId, 1, readOnly: false);
        uint good1 = domains.Front.GrantAccess(GrantTestDomains.BackId, 2, readOnly: false);

        var e = Assert.Throws<PvRingProtocolException>(() => ForeignRing.Map(domains.Foreign, [good0, good1, good0, good1]));
        Assert.Contains($"pages 0 and 2 are the same grant reference {good0}", e.Message, StringComparison.Ordinal);
        Assert.True(domains.Front.TryEndAccess(good0));
        Assert.True(domains.Front.TryEndAccess(good1));
    }

    [Fact]
    public void BackQueueAttach_TxAndRxRingsShareAReference_ProtocolError()
    {
        using var domains = new GrantTestDomains(arenaFrames: 16);
        uint tx = domains.Front.GrantAccess(GrantTestDomains.BackId, 1, readOnly: false);
        uint shared = domains.Front.GrantAccess(GrantTestDomains.BackId, 2, readOnly: false);

        // Refused before anything is mapped or bound (the event domain is not even looked at).
        var e = Assert.Throws<PvRingProtocolException>(() => PvRing.Transport.NetBackQueue.Attach(
            domains.Foreign, null!, PvRing.Transport.NetDeviceFeatures.All with { RingPageOrder = 1 }, 0, [tx, shared], [shared, 3], 1, 2, "vif/1/0"));
        Assert.Contains($"tx and rx rings share grant reference {shared}", e.Message, StringComparison.Ordinal);
        Assert.True(domains.Front.TryEndAccess(tx));
        Assert.True(domains.Front.TryEndAccess(shared));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(5)]
    public void Map_CountNotAPowerOfTwo_ArgumentException(int count)
    {
        using var domains = new GrantTestDomains();
        Assert.Throws<ArgumentException>(() => ForeignRing.Map(domains.Foreign, new uint[count]));
    }

    [Fact]
    public void Attach_OrderOtherThanMapped_ArgumentException()
    {
        using var domains = new GrantTestDomains();
        using var granted = GrantedRing.Grant(domains.Front, GrantTestDomains.BackId, 0, order: 1);
        using var mapped = ForeignRing.Map(domains.Foreign, granted.References.ToArray());
        Assert.Throws<ArgumentException>(() => mapped.Attach<NetifTxRequest, NetifTxResponse>(RingVariant.Classic(0)));
        Assert.Throws<ArgumentException>(() => granted.Initialize<NetifTxRequest, NetifTxResponse>(RingVariant.Classic(2)));
    }

    [Fact]
    public void Dispose_MappingBeforeRing_RingStillWorksAndPagesGoOnlyWithTheRing()
    {
        using var domains = new GrantTestDomains();
        RingVariant variant = new(RingFeatures.All, 1);
        using var granted = GrantedRing.Grant(domains.Front, GrantTestDomains.BackId, 2, order: 1);
        using FrontRing<NetifTxRequest, NetifTxResponse> front = granted.Initialize<NetifTxRequest, NetifTxResponse>(variant);
        var mapped = ForeignRing.Map(domains.Foreign, granted.References.ToArray());
        BackRing<NetifTxRequest, NetifTxResponse> back = mapped.Attach<NetifTxRequest, NetifTxResponse>(variant);
        mapped.Dispose();

        front.ProduceRequest(new NetifTxRequest { Id = 7, Size = 60 });
        front.PushRequestsAndCheckNotify();
        Assert.True(back.TryConsumeRequest(out NetifTxRequest request));
        Assert.Equal(7, request.Id);
        Assert.False(granted.TryEndAccess(), "the back's ring still holds the pages");

        back.Dispose();
        Assert.True(granted.TryEndAccess());
    }

    [Fact]
    public void Grant_FramesLeaveTheArena_ArgumentOutOfRangeAndNothingGranted()
    {
        using var domains = new GrantTestDomains(arenaFrames: 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => GrantedRing.Grant(domains.Front, GrantTestDomains.BackId, 6, order: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => GrantedRing.Grant(domains.Front, GrantTestDomains.BackId, 0, order: -1));
    }

    [Fact]
    public void Grant_TableTooSmall_InvalidOperationAndEarlierGrantsEnded()
    {
        // One table page: 512 entries, 8 reserved; a ring of 2^9 pages cannot be granted.
        using var domains = new GrantTestDomains(arenaFrames: 1024, tablePages: 1);
        Assert.Throws<InvalidOperationException>(() => GrantedRing.Grant(domains.Front, GrantTestDomains.BackId, 0, order: 9));

        // Every reference came back: 504 of them can be granted again.
        using var ring = GrantedRing.Grant(domains.Front, GrantTestDomains.BackId, 0, order: 8);
        Assert.Equal(256, ring.References.Count);
    }

    [Theory]
    [InlineData(0, new[] { "tx-ring-ref" })]
    [InlineData(2, new[] { "tx-ring-ref0", "tx-ring-ref1", "tx-ring-ref2", "tx-ring-ref3" })]
    public void RingReferenceKeys_LinuxNames(int order, string[] expected)
    {
        var keys = new Dictionary<string, string>();
        XenBusRingKeys.AddRingReferences(keys, "tx-", Enumerable.Range(8, 1 << order).Select(i => (uint)i).ToArray());
        Assert.Equal(expected, keys.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("8", keys[expected[0]]);
    }
}
