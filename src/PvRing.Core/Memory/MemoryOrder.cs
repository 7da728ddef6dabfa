// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Memory;

/// <summary>
/// The only way indices and flags shared with a peer (ring producers and event indices, grant entries, unmap flush
/// words) are read and written. Each helper is one of Xen's barriers as it maps onto .NET; every call site says,
/// Xen-style, what the peer must see before what.
/// </summary>
/// <remarks>
/// Design: <c>wmb(); idx = v</c> is a release store (<see cref="Volatile.Write(ref uint, uint)"/>): slot
/// contents become visible before the index that publishes them. "Read idx; rmb(); read slots" is an
/// acquire load (<see cref="Volatile.Read(ref readonly uint)"/>). The <c>mb()</c> in push-and-check-notify
/// and final-check orders a store before a later load, which x86 reorders and acquire/release cannot
/// forbid, so it is a real full fence (<see cref="Interlocked.MemoryBarrier"/>, a locked instruction).
/// </remarks>
internal static unsafe class MemoryOrder
{
    /// <summary>Acquire load of a peer-written index: later reads of slots cannot move above it (rmb).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ReadAcquire(uint* location) => Volatile.Read(ref *location);

    /// <summary>Release store of an index: earlier writes to slots are visible before it (wmb).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteRelease(uint* location, uint value) => Volatile.Write(ref *location, value);

    /// <summary>Xen's <c>mb()</c>: orders every earlier store before every later load (Dekker).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FullFence() => Interlocked.MemoryBarrier();
}
