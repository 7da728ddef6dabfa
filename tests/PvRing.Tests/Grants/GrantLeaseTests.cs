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
        using var fixture = new SchemeFixture(scheme);
        IGrantMapper mapper = fixture.Mapper;
        Assert.Equal(scheme, mapper.Scheme);
        uint frame = 3;
        uint reference = fixture.Grant(frame);
        fixture.Domains.Front.GetFrame(frame)[100..110].Fill(0x5A);

        Assert.Equal(GrantStatus.Okay, mapper.Acquire(reference, 100, 10, writable: false, out GrantLease read));
        Assert.True(read.IsHeld);
        Assert.Equal(reference, read.GrantReference);
        Assert.Equal(Enumerable.Repeat((byte)0x5A, 10), read.Span.ToArray());
        Assert.Equal(GrantStatus.Okay, mapper.Release(ref read));
        Assert.False(read.IsHeld);

        Assert.Equal(GrantStatus.Okay, mapper.Acquire(reference, 200, 4, writable: true, out GrantLease write));
        write.Span.Fill(0xC3);
        Assert.Equal(GrantStatus.Okay, mapper.Release(ref write));
        Assert.Equal(new byte[] { 0xC3, 0xC3, 0xC3, 0xC3 }, fixture.Domains.Front.GetFrame(frame)[200..204].ToArray());
        Assert.Equal(GrantStatus.BadHandle, mapper.Release(ref write));
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Acquire_BadRangeOrReference_FailsAndHoldsNothing(GrantScheme scheme)
    {
        using var fixture = new SchemeFixture(scheme);
        IGrantMapper mapper = fixture.Mapper;
        uint good = fixture.Grant(2);
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
        using var fixture = new SchemeFixture(scheme);
        IGrantMapper mapper = fixture.Mapper;
        uint reference = fixture.Grant(2);

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
    /// <summary>A front and back pair with a mapper of one scheme (and the flush page deferred unmap needs).</summary>
    private sealed class SchemeFixture : IDisposable
    {
        private readonly GrantScheme _scheme;
        private readonly DeferredUnmapFrontend? _flush;

        public SchemeFixture(GrantScheme scheme)
        {
            _scheme = scheme;
            Domains = new GrantTestDomains();
            _flush = scheme == GrantScheme.DeferredUnmap ? DeferredUnmapFrontend.Create(Domains.Host.Host, GrantTestDomains.FrontId, GrantTestDomains.BackId) : null;
            Mapper = GrantMapperFactory.Create(scheme, Domains.Foreign, 8);
        }

        public GrantTestDomains Domains { get; }

        public IGrantMapper Mapper { get; }

        /// <summary>The reference the back uses for <paramref name="frame"/>: the frame itself in direct map, else a writable grant of it.</summary>
        public uint Grant(uint frame) => _scheme == GrantScheme.DirectMap ? frame : Domains.Front.GrantAccess(GrantTestDomains.BackId, frame, readOnly: false);

        public void Dispose()
        {
            Mapper.Dispose();
            _flush?.Dispose();
            Domains.Dispose();
        }
    }
}
