// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Events;

/// <summary>
/// The counter fields behind <see cref="EventChannelCounters"/>, process-local. The sender's fields and the
/// waiter's fields sit 128 bytes apart (a cache line pair on x64, one line on arm64), so a pinned sender and a
/// pinned waiter of the same channel do not bounce a line between them with every increment.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct ChannelStatistics
{
    [FieldOffset(0)]
    internal long Sent;

    [FieldOffset(8)]
    internal long Coalesced;

    [FieldOffset(16)]
    internal long SenderSystemCalls;

    [FieldOffset(128)]
    internal long WakeUps;

    [FieldOffset(136)]
    internal long Spurious;

    [FieldOffset(144)]
    internal long WaiterSystemCalls;

    [FieldOffset(152)]
    internal long Blocks;
}
