// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>The size of a domain's memory: its arena of frames and its grant table.</summary>
public sealed class GrantDomainOptions
{
    /// <summary>The most arena frames accepted (2^20 frames, 4 GiB).</summary>
    public const int MaxArenaFrames = 1 << 20;

    /// <summary>The most grant table pages accepted: 64, Xen's default <c>gnttab_max_frames</c> (32,768 entries).</summary>
    public const int MaxGrantTablePages = 64;

    /// <summary>Grant table entries per page: 512 eight-byte <c>grant_entry_v1</c>s.</summary>
    public const int EntriesPerTablePage = Memory.XenPage.Size / GrantTableLayout.EntrySize;

    /// <summary>Entries at the start of every table that are never handed out (Xen's <c>GNTTAB_NR_RESERVED_ENTRIES</c>).</summary>
    public const int ReservedEntries = (int)GrantTableLayout.ReservedEntries;

    /// <summary>Frames in the domain's arena (4 KiB each). Default 1024 (4 MiB).</summary>
    public int ArenaFrames { get; set; } = 1024;

    /// <summary>Pages of grant table, 512 v1 entries each; the first 8 entries are reserved. Default 4 (2048 entries).</summary>
    public int GrantTablePages { get; set; } = 4;

    /// <summary>Checks every value; the message names the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (ArenaFrames is < 1 or > MaxArenaFrames)
        {
            throw new ArgumentOutOfRangeException(nameof(ArenaFrames), ArenaFrames, $"ArenaFrames must be 1 to {MaxArenaFrames}.");
        }

        if (GrantTablePages is < 1 or > MaxGrantTablePages)
        {
            throw new ArgumentOutOfRangeException(nameof(GrantTablePages), GrantTablePages, $"GrantTablePages must be 1 to {MaxGrantTablePages}.");
        }
    }
}
