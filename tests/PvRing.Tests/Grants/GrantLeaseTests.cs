// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Grants;
using PvRing.Memory;

namespace PvRing.Tests.Grants;

/// <summary>The one lease shape of every scheme: a read lease shows the granted bytes, a writable lease's bytes reach the page.</summary>
public sealed class GrantLeaseTests
{
    public static TheoryData<GrantScheme> Schemes() => new(Enum.GetValues<GrantScheme>());

    [Theory]
    [MemberData(nameof(Schemes))]
    public void AcquireRelease_ReadThenWrite_SeesAndChangesTheGrantedPage(GrantScheme scheme)
    {
        using var domains = new GrantTestDomains();
        using DeferredUnmapFrontend? flush = scheme == GrantScheme.DeferredUnmap ? DeferredUnmapFrontend.Create(domains.Host.Host, GrantTestDomains.FrontId, GrantTestDomains.BackId) : null;
        using IGrantMapper mapper = GrantMapperFactory.Create(scheme, domains.Foreign, 8);
        Assert.Equal(scheme, mapper.Scheme);
        uint frame = 3;
        uint reference = scheme == GrantScheme.DirectMap ? frame : domains.Front.GrantAccess(GrantTestDomains.BackId, frame, readOnly: false);
        domains.Front.GetFrame(frame)[100..110].Fill(0x5A);

        Assert.Equal(GrantStatus.Okay, mapper.Acquire(reference, 100, 10, writable: false, out GrantLease read));
        Assert.True(read.IsHeld);
        Assert.Equal(reference, read.GrantReference);
        Assert.Equal(Enumerable.Repeat((byte)0x5A, 10), read.Span.ToArray());
        Assert.Equal(GrantStatus.Okay, mapper.Release(ref read));
        Assert.False(read.IsHeld);

        Assert.Equal(GrantStatus.Okay, mapper.Acquire(reference, 200, 4, writable: true, out GrantLease write));
        write.Span.Fill(0xC3);
        Assert.Equal(GrantStatus.Okay, mapper.Release(ref write));
        Assert.Equal(new byte[] { 0xC3, 0xC3, 0xC3, 0xC3 }, domains.Front.GetFrame(frame)[200..204].ToArray());
        Assert.Equal(GrantStatus.BadHandle, mapper.Release(ref write));
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Acquire_BadRangeOrReference_FailsAndHoldsNothing(GrantScheme scheme)
    {
        using var domains = new GrantTestDomains();
        using DeferredUnmapFrontend? flush = scheme == GrantScheme.DeferredUnmap ? DeferredUnmapFrontend.Create(domains.Host.Host, GrantTestDomains.FrontId, GrantTestDomains.BackId) : null;
        using IGrantMapper mapper = GrantMapperFactory.Create(scheme, domains.Foreign, 8);
        uint good = scheme == GrantScheme.DirectMap ? 2 : domains.Front.GrantAccess(GrantTestDomains.BackId, 2, readOnly: false);
        Assert.Equal(GrantStatus.BadCopyArg, mapper.Acquire(good, 4000, 200, writable: false, out GrantLease lease));
        Assert.False(lease.IsHeld);
        uint bad = scheme == GrantScheme.DirectMap ? 1000u : 300u;
        Assert.NotEqual(GrantStatus.Okay, mapper.Acquire(bad, 0, 64, writable: false, out lease));
        Assert.False(lease.IsHeld);
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Acquire_EmptyRangeAtThePagesEnd_IsAnEmptyLease(GrantScheme scheme)
    {
        // Offset 4096, length 0 is in the page (PageRange.Fits): every scheme lends it as an empty lease (the grant fuzzer
        // found the persistent mapper indexing past its page for it, seed bAxKX4gVL2If).
        using var domains = new GrantTestDomains();
        using DeferredUnmapFrontend? flush = scheme == GrantScheme.DeferredUnmap ? DeferredUnmapFrontend.Create(domains.Host.Host, GrantTestDomains.FrontId, GrantTestDomains.BackId) : null;
        using IGrantMapper mapper = GrantMapperFactory.Create(scheme, domains.Foreign, 8);
        uint reference = scheme == GrantScheme.DirectMap ? 2 : domains.Front.GrantAccess(GrantTestDomains.BackId, 2, readOnly: false);

        Assert.Equal(GrantStatus.Okay, mapper.Acquire(reference, XenPage.Size, 0, writable: false, out GrantLease lease));
        Assert.Equal(0, lease.Span.Length);
        Assert.Equal(GrantStatus.Okay, mapper.Release(ref lease));
    }

    [Fact]
    public void Copier_EveryBouncePageOut_NoSpaceUntilOneIsReleased()
    {
        using var domains = new GrantTestDomains();
        using var copier = new GrantCopier(domains.Foreign, bouncePages: 2);
        uint reference = domains.Front.GrantAccess(GrantTestDomains.BackId, 1, readOnly: true);
        Assert.Equal(GrantStatus.Okay, copier.Acquire(reference, 0, 64, writable: false, out GrantLease first));
        Assert.Equal(GrantStatus.Okay, copier.Acquire(reference, 0, 64, writable: false, out GrantLease second));
        Assert.Equal(GrantStatus.NoSpace, copier.Acquire(reference, 0, 64, writable: false, out _));
        Assert.Equal(GrantStatus.Okay, copier.Release(ref first));
        Assert.Equal(GrantStatus.Okay, copier.Acquire(reference, 0, 64, writable: false, out first));
        Assert.Equal(GrantStatus.Okay, copier.Release(ref first));
        Assert.Equal(GrantStatus.Okay, copier.Release(ref second));

        // A read-only grant: the copy back of a writable lease is refused on release.
        Assert.Equal(GrantStatus.Okay, copier.Acquire(reference, 0, 8, writable: true, out GrantLease write));
        Assert.Equal(GrantStatus.PermissionDenied, copier.Release(ref write));
    }
}
