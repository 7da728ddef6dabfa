// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Grants;

namespace PvRing.Tests.Grants;

public sealed class DeferredUnmapTests
{
    [Fact]
    public void ReleasedPages_CannotBeReclaimedBeforeTheFlushThatCoversThem()
    {
        using var domains = new GrantTestDomains();
        using var flush = DeferredUnmapFrontend.Create(domains.Host.Host, GrantTestDomains.FrontId, GrantTestDomains.BackId);
        using var back = new DeferredUnmapMapper(domains.Foreign);
        var random = new Random(5);
        for (int round = 0; round < 200; round++)
        {
            var refs = new uint[1 + random.Next(8)];
            for (int i = 0; i < refs.Length; i++)
            {
                refs[i] = domains.Front.GrantAccess(GrantTestDomains.BackId, (uint)i, readOnly: false);
                Assert.Equal(GrantStatus.Okay, back.Map(refs[i], writable: true, out GrantHandle handle));
                back.Release(handle);
            }

            // Released but not flushed: the back still maps every page, so none can be reclaimed.
            Assert.Equal(0, back.ServiceFlush());
            foreach (uint reference in refs)
            {
                Assert.False(domains.Front.TryEndAccess(reference));
            }

            uint epoch = flush.RequestFlush();
            Assert.False(flush.IsFlushed(epoch));
            foreach (uint reference in refs)
            {
                Assert.False(domains.Front.TryEndAccess(reference));
            }

            Assert.Equal(refs.Length, back.ServiceFlush());
            Assert.True(flush.IsFlushed(epoch));
            foreach (uint reference in refs)
            {
                Assert.True(domains.Front.TryEndAccess(reference));
            }
        }
    }

    [Fact]
    public async Task Flush_ServedByAnotherThread_PageStaysMappedUntilRequestedThenReclaims()
    {
        using var domains = new GrantTestDomains();
        using var flush = DeferredUnmapFrontend.Create(domains.Host.Host, GrantTestDomains.FrontId, GrantTestDomains.BackId);
        using var back = new DeferredUnmapMapper(domains.Foreign, maxMappings: 4);
        using var stop = new CancellationTokenSource();
        uint reference = domains.Front.GrantAccess(GrantTestDomains.BackId, 0, readOnly: false);
        var worker = Task.Run(() =>
        {
            // The back's service loop: the only thread that calls ServiceFlush.
            while (!stop.IsCancellationRequested)
            {
                back.ServiceFlush();
                Thread.Yield();
            }
        });
        for (int i = 0; i < 500; i++)
        {
            Assert.Equal(GrantStatus.Okay, back.Map(reference, writable: false, out GrantHandle handle));
            back.Release(handle);
            // No flush requested: however often the back's loop runs, the page stays mapped.
            Assert.False(domains.Front.TryEndAccess(reference, keepReference: true));
            uint epoch = flush.RequestFlush();
            Assert.True(flush.WaitForFlush(epoch, TimeSpan.FromSeconds(10)));
            Assert.True(domains.Front.TryEndAccess(reference, keepReference: true));
            domains.Front.RegrantAccess(reference, GrantTestDomains.BackId, 0, readOnly: false);
        }

        stop.Cancel();
        await worker.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
