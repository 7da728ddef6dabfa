// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>Limits of a <see cref="PersistentGrantMapper"/>, defaulting to Linux blkback's.</summary>
public sealed class PersistentGrantOptions
{
    /// <summary>The most grants kept mapped: default 1056 per ring (blkback's <c>max_persistent_grants</c>).</summary>
    public int MaxGrants { get; set; } = 1056;

    /// <summary>The share of the cache unmapped, least recently used first, when it is full: default 5 % (<c>LRU_PERCENT_CLEAN</c>).</summary>
    public int PurgePercent { get; set; } = 5;

    /// <summary>Checks every value; the message names the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (MaxGrants is < 1 or > 65536)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxGrants), MaxGrants, "MaxGrants must be 1 to 65536.");
        }

        if (PurgePercent is < 1 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(PurgePercent), PurgePercent, "PurgePercent must be 1 to 100.");
        }
    }
}
