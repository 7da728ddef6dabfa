// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>The one place that turns a negotiated <see cref="GrantScheme"/> into its <see cref="IGrantMapper"/>.</summary>
public static class GrantMapperFactory
{
    /// <summary>
    /// Creates the back end's mapper for <paramref name="scheme"/> over <paramref name="domain"/>'s memory, with room for
    /// <paramref name="capacity"/> pages held at once: bounce pages (copy), live mappings (map, deferred unmap), or cached
    /// grants (persistent: at least the front's pool, so nothing is purged while leased). Direct map needs no capacity.
    /// </summary>
    /// <param name="scheme">The negotiated scheme.</param>
    /// <param name="domain">The front's grants.</param>
    /// <param name="capacity">The most pages held at once.</param>
    /// <param name="flushPage">Deferred unmap: the front's flush page of this mapper's queue (0 for the first or only one).</param>
    /// <param name="counters">The user's own counters (a queue's) to count in; null: the domain's. Direct map counts nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="domain"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not 1 to 65536, or the scheme is unknown.</exception>
    /// <exception cref="PvRingProtocolException">Deferred unmap: the front's flush page is missing or malformed.</exception>
    /// <exception cref="PvRingException">Direct map: the front's arena cannot be mapped.</exception>
    /// <exception cref="ArgumentException"><paramref name="counters"/> belong to another domain.</exception>
    public static IGrantMapper Create(GrantScheme scheme, ForeignDomain domain, int capacity, int flushPage = 0, GrantUserCounters? counters = null)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 65536);
        return scheme switch
        {
            GrantScheme.Copy => new GrantCopier(domain, capacity, counters),
            GrantScheme.Map => new GrantMapper(domain, capacity, counters),
            GrantScheme.Persistent => new PersistentGrantMapper(domain, new PersistentGrantOptions { MaxGrants = capacity }, counters),
            GrantScheme.DirectMap => new DirectMapper(domain),
            GrantScheme.DeferredUnmap => new DeferredUnmapMapper(domain, capacity, flushPage, counters),
            _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Not a grant scheme."),
        };
    }
}
