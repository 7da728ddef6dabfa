// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>
/// The wire layout of a v1 grant table, <c>struct grant_entry_v1</c> of Xen's <c>grant_table.h</c>, and the
/// names of the files that hold a domain's memory. Written once; every other type uses these constants.
/// </summary>
/// <remarks>
/// <code>
///  grant table file "gnttab-&lt;domid&gt;": N pages of 512 entries, ref r at byte r * 8
///  +--------+--------+----------------+
///  | flags  | domid  |     frame      |   grant_entry_v1, 8 bytes
///  |  u16   |  u16   |      u32       |
///  +--------+--------+----------------+
///  0        2        4                8
///  {flags, domid} is the aligned u32 at offset 0 (Xen's union grant_combo, little-endian:
///  flags in the low half): the mapper validates and pins with one 32-bit compare-and-swap.
///
///  The reserved references 0 to 7 (bytes 0 to 63) are never granted, so PvRing keeps its own header there:
///  +--------+--------+--------+----------------+---------------------------+
///  | magic  |version |   0    |  arena frames  |           zero            |
///  |  u32   |  u16   |  u16   |      u32       |                           |
///  +--------+--------+--------+----------------+---------------------------+
///  0        4        6        8                12                          64
///  magic 'PVGT' (0x54475650) is written last (release); a mapper checks all of it on attach.
///
///  arena file "arena-&lt;domid&gt;": F pages; frame f is bytes [f * 4096, f * 4096 + 4096). No header: frame numbers
///  are file offsets, as guest frames are; its format is the table's (the table records F).
/// </code>
/// </remarks>
internal static class GrantTableLayout
{
    /// <summary><c>sizeof(grant_entry_v1_t)</c>.</summary>
    public const int EntrySize = 8;

    /// <summary><c>flags</c> u16 @0.</summary>
    public const int FlagsOffset = 0;

    /// <summary><c>domid</c> u16 @2.</summary>
    public const int DomidOffset = 2;

    /// <summary><c>frame</c> u32 @4.</summary>
    public const int FrameOffset = 4;

    /// <summary>Entries per 4 KiB page of the table.</summary>
    public const int EntriesPerPage = 512;

    /// <summary>The first references are reserved, as in Xen (<c>GNTTAB_NR_RESERVED_ENTRIES</c>): 0 console, 1 xenstore.</summary>
    public const uint ReservedEntries = 8;

    /// <summary>'PVGT' read as a little-endian u32: the table's header magic, in reserved reference 0.</summary>
    public const uint Magic = 0x54475650;

    /// <summary>The table header's version this code writes and accepts.</summary>
    public const ushort Version = 1;

    /// <summary>Header magic u32 @0 (reserved references only).</summary>
    public const int MagicOffset = 0;

    /// <summary>Header version u16 @4.</summary>
    public const int VersionOffset = 4;

    /// <summary>Header reserved u16 @6, zero.</summary>
    public const int HeaderReservedOffset = 6;

    /// <summary>Header arena frame count u32 @8: the arena must have exactly this many pages.</summary>
    public const int ArenaFramesOffset = 8;

    /// <summary>How many failed compare-and-swaps on one entry before a mapper gives up, as Xen does ("unstable entry").</summary>
    public const int MaxPinRetries = 5;

    /// <summary>The grant table file of <paramref name="domid"/>.</summary>
    public static string TableFileName(int domid) => $"gnttab-{domid}";

    /// <summary>The arena file of <paramref name="domid"/>.</summary>
    public static string ArenaFileName(int domid) => $"arena-{domid}";

    /// <summary>The most flush pages one front and back share (one per queue of a device).</summary>
    public const int MaxFlushPages = 256;

    /// <summary>
    /// The deferred-unmap flush page <paramref name="page"/> shared by a front and a back: one per queue, since each queue's
    /// mapper flushes its own unmaps (page 0 keeps the single-queue name).
    /// </summary>
    public static string FlushFileName(int frontDomid, int backDomid, int page = 0) =>
        page == 0 ? $"gntflush-{frontDomid}-{backDomid}" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"gntflush-{frontDomid}-{backDomid}-{page}");
}
