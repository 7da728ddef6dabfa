// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>
/// The deferred-unmap flush page, <c>gntflush-&lt;front&gt;-&lt;back&gt;</c>, one 4 KiB page:
/// <code>
///  +-----------------+---------+-----------------+---------+---------+---------+--------+
///  | flush_requested | pad     | flush_completed | pad     | magic   | version | zero   |
///  | u32 (front)     | 60      | u32 (back)      | 60      | u32     | u16     | 3962   |
///  +-----------------+---------+-----------------+---------+---------+---------+--------+
///  0                 4         64                68        128       132       134   4096
/// </code>
/// The front writes magic 'PVFL' (0x4C465650) and the version before it publishes the page; the back checks both.
/// Free-running epochs: the front increments <c>flush_requested</c>; the back, after unmapping everything
/// released before it read that value, release-stores it to <c>flush_completed</c> and wakes the futex on it.
/// Each word has its own cache line, written by one side only.
/// </summary>
internal static class UnmapFlushLayout
{
    /// <summary><c>flush_requested</c> u32 @0, written by the front.</summary>
    public const int RequestedOffset = 0;

    /// <summary><c>flush_completed</c> u32 @64, written by the back; also the futex word the front sleeps on.</summary>
    public const int CompletedOffset = 64;

    /// <summary>Magic u32 @128, written by the front before the page is published.</summary>
    public const int MagicOffset = 128;

    /// <summary>Version u16 @132.</summary>
    public const int VersionOffset = 132;

    /// <summary>'PVFL' read as a little-endian u32.</summary>
    public const uint Magic = 0x4C465650;

    /// <summary>The layout version this code writes and accepts.</summary>
    public const ushort Version = 1;
}
