// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>
/// The deferred-unmap flush page, <c>gntflush-&lt;front&gt;-&lt;back&gt;</c>, one 4 KiB page:
/// <code>
///  +-----------------+---------+-----------------+---------+
///  | flush_requested | pad     | flush_completed | pad     |
///  | u32 (front)     | 60      | u32 (back)      | 4028    |
///  +-----------------+---------+-----------------+---------+
///  0                 4         64                68
/// </code>
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
}
