// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Grants;

namespace PvRing.Tests.Grants;

public sealed class PersistentGrantTests
{
    [Fact]
    public void Cache_AtCap_EvictsLeastRecentlyUsedAndUnpinsThem()
    {
        using var domains = new GrantTestDomains(arenaFrames: 32);
        using var pool = new PersistentGrantPool(domains.Front, GrantTestDomains.BackId, 0, 30);
        using var back = new PersistentGrantMapper(domains.Foreign, new PersistentGrantOptions { MaxGrants = 20, PurgePercent = 10 });
        var rented = new List<PooledGrant>();
        while (pool.TryRent(out PooledGrant grant))
        {
            pool.GetPage(grant)[0] = (byte)grant.Slot;
            rented.Add(grant);
        }

        Assert.Equal(30, rented.Count);
        Assert.Equal(0, rented[0].Slot); // LIFO from a fresh pool: slot 0 first
        var buffer = new byte[1];
        foreach (PooledGrant grant in rented)
        {
            Assert.Equal(GrantStatus.Okay, back.Read(grant.Reference, 0, buffer));
            Assert.Equal((byte)grant.Slot, buffer[0]);
        }

        Assert.Equal(30, back.MapCount);
        Assert.Equal(10, back.EvictionCount);
        Assert.Equal(20, back.Count);
        Assert.Equal(GrantStatus.Okay, back.Read(rented[29].Reference, 0, buffer));
        Assert.Equal(30, back.MapCount); // a hit maps nothing
        // The evicted (oldest) pages are unpinned: the front could end access to them; the cached ones are not.
        Assert.Equal(GrantEntryFlags.PermitAccess, domains.Front.GetFlags(rented[0].Reference));
        Assert.NotEqual(GrantEntryFlags.PermitAccess, domains.Front.GetFlags(rented[29].Reference));
        Assert.False(pool.TryEndAccessAll());
        back.Dispose();
        Assert.True(pool.TryEndAccessAll());
    }
}
