// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Grants;

namespace PvRing.Tests.Grants;

public sealed class GrantDomainTests
{
    [Fact]
    public void Options_OutOfRange_ThrowWithName()
    {
        using var host = new TempHost();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => GrantDomain.Create(host.Host, 1, new GrantDomainOptions { ArenaFrames = 0 }));
        Assert.Equal("ArenaFrames", e.ParamName);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => GrantDomain.Create(host.Host, 1, new GrantDomainOptions { GrantTablePages = 65 }));
        Assert.Equal("GrantTablePages", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PersistentGrantOptions { MaxGrants = 0 }.Validate());
    }

    [Fact]
    public void PreferNumaNode_ThisMachinesNodeWorks_AnAbsentNodeIsAClearError()
    {
        using var host = new TempHost();
        using GrantDomain domain = GrantDomain.Create(host.Host, 1, new GrantDomainOptions { ArenaFrames = 8 });
        int node = PvRing.Platform.CpuTopology.Load().NodeIds[0];
        domain.PreferNumaNode(node); // mbind(MPOL_PREFERRED) on the arena and table
        domain.GetFrame(0)[0] = 1; // the pages are still ordinary memory

        var e = Assert.Throws<PvRingException>(() => domain.PreferNumaNode(1000));
        Assert.Contains("mbind(MPOL_PREFERRED, node 1000) failed", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => domain.PreferNumaNode(-1));
    }

    [Fact]
    public void EndAccessWhenUnmapped_StillMapped_TheReferenceComesBackOnceUnmapped()
    {
        using var domains = new GrantTestDomains();
        uint mapped = domains.Front.GrantAccess(GrantTestDomains.BackId, 1, readOnly: false);
        using var mapper = new GrantMapper(domains.Foreign);
        Assert.Equal(GrantStatus.Okay, mapper.Map(mapped, writable: true, out GrantHandle handle));

        // Given up while the back maps it: deferred, not lost and not reusable.
        domains.Front.EndAccessWhenUnmapped(mapped);
        Assert.Equal(1, domains.Front.DeferredEndCount);
        var others = new List<uint>();
        while (domains.Front.TryGrantAccess(GrantTestDomains.BackId, 0, readOnly: true, out uint reference))
        {
            others.Add(reference);
        }

        Assert.DoesNotContain(mapped, others);
        Assert.Equal(0, domains.Front.RetryDeferredEnds());

        // Unmapped: the next grant that finds no free reference retries the deferred ones and gets it back.
        Assert.Equal(GrantStatus.Okay, mapper.Unmap(handle));
        Assert.True(domains.Front.TryGrantAccess(GrantTestDomains.BackId, 2, readOnly: true, out uint reused));
        Assert.Equal(mapped, reused);
        Assert.Equal(0, domains.Front.DeferredEndCount);

        // Nothing mapped: it ends at once.
        domains.Front.EndAccessWhenUnmapped(others[0]);
        Assert.Equal(0, domains.Front.DeferredEndCount);
        Assert.Equal(GrantEntryFlags.Invalid, domains.Front.GetFlags(others[0]) & GrantEntryFlags.TypeMask);
    }

    [Fact]
    public void GrantAccess_FrameOutsideArena_Throws()
    {
        using var domains = new GrantTestDomains();
        Assert.Throws<ArgumentOutOfRangeException>(() => domains.Front.GrantAccess(0, 16, readOnly: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => domains.Front.TryEndAccess(3));
    }

    [Fact]
    public void GrantAccess_AllReferencesUsed_ThrowsThenReusesFreed()
    {
        using var domains = new GrantTestDomains();
        var refs = new HashSet<uint>();
        for (int i = 8; i < 512; i++)
        {
            Assert.True(refs.Add(domains.Front.GrantAccess(0, 0, readOnly: true)));
        }

        Assert.DoesNotContain(refs, r => r < 8);
        Assert.Throws<InvalidOperationException>(() => domains.Front.GrantAccess(0, 0, readOnly: true));
        Assert.True(domains.Front.TryEndAccess(100));
        Assert.Equal(100u, domains.Front.GrantAccess(0, 0, readOnly: true));
    }

    [Fact]
    public void TryEndAccess_WhileMappedOrPinned_FailsUntilReleased()
    {
        using var domains = new GrantTestDomains();
        uint reference = domains.Front.GrantAccess(0, 2, readOnly: false);
        using var mapper = new GrantMapper(domains.Foreign);
        Assert.Equal(GrantStatus.Okay, mapper.Map(reference, writable: true, out GrantHandle handle));
        Assert.Equal(GrantEntryFlags.PermitAccess | GrantEntryFlags.Reading | GrantEntryFlags.Writing, domains.Front.GetFlags(reference));
        Assert.False(domains.Front.TryEndAccess(reference));

        // A copy pinned at the same time (the copier's pin) keeps GTF_reading after the map goes.
        Assert.Equal(GrantStatus.Okay, domains.Foreign.Pin(reference, writable: false, out _));
        Assert.Equal(GrantStatus.Okay, mapper.Unmap(handle));
        Assert.Equal(GrantEntryFlags.PermitAccess | GrantEntryFlags.Reading, domains.Front.GetFlags(reference));
        Assert.False(domains.Front.TryEndAccess(reference));
        domains.Foreign.Unpin(reference, writable: false);
        Assert.Equal(GrantEntryFlags.PermitAccess, domains.Front.GetFlags(reference));
        Assert.True(domains.Front.TryEndAccess(reference));
        Assert.Equal(GrantEntryFlags.Invalid, domains.Front.GetFlags(reference));
        Assert.Equal(GrantStatus.GeneralError, mapper.Map(reference, writable: false, out _));
    }

    [Fact]
    public void Map_SharesThePageBothWays()
    {
        using var domains = new GrantTestDomains();
        uint reference = domains.Front.GrantAccess(0, 3, readOnly: false);
        domains.Front.GetFrame(3)[10] = 42;
        using var mapper = new GrantMapper(domains.Foreign);
        uint[] refs = [reference, 5000, reference];
        var handles = new GrantHandle[3];
        var statuses = new GrantStatus[3];
        Assert.Equal(2, mapper.MapBatch(refs, writable: true, handles, statuses));
        Assert.Equal([GrantStatus.Okay, GrantStatus.BadGntref, GrantStatus.Okay], statuses);
        Assert.Equal(42, mapper.GetSpan(handles[0])[10]);
        mapper.GetSpan(handles[2])[11] = 43;
        Assert.Equal(43, domains.Front.GetFrame(3)[11]);
        Assert.Equal(2, mapper.UnmapBatch(handles));
        Assert.Equal(GrantStatus.BadHandle, mapper.Unmap(handles[0]));
        Assert.Throws<ArgumentException>(() => mapper.GetSpan(handles[0]));
        Assert.True(domains.Front.TryEndAccess(reference));
    }

    [Fact]
    public void Open_MissingDomain_IsBadDomain()
    {
        using var host = new TempHost();
        var e = Assert.Throws<PvRingProtocolException>(() => ForeignDomain.Open(host.Host, 0, 9));
        Assert.Contains("BadDomain", e.Message);
    }

    [Fact]
    public void FreeList_ConcurrentPopPush_NeverHandsOutAnIndexTwice()
    {
        var list = new IndexFreeList(64);
        for (int i = 0; i < 64; i++)
        {
            list.Push(i);
        }

        var owned = new int[64];
        int errors = 0;
        Parallel.For(0, Math.Max(2, Environment.ProcessorCount), _ =>
        {
            for (int n = 0; n < 100_000; n++)
            {
                if (list.TryPop(out int index))
                {
                    if (Interlocked.Exchange(ref owned[index], 1) != 0)
                    {
                        Interlocked.Increment(ref errors);
                    }

                    Volatile.Write(ref owned[index], 0);
                    list.Push(index);
                }
            }
        });
        Assert.Equal(0, errors);
        int count = 0;
        while (list.TryPop(out _))
        {
            count++;
        }

        Assert.Equal(64, count);
    }
}
