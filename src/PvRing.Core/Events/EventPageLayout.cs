// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Events;

/// <summary>
/// Byte offsets of a domain's event page, the file <c>evtchn-&lt;domid&gt;</c> (docs/protocol-events.md).
/// </summary>
/// <remarks>
/// <code>
/// offset  size  field                      written by        Xen counterpart
/// ------  ----  -------------------------  ----------------  ------------------------------------------
///      0     4  magic 'PVEV' (0x56455650)  owner             -
///      4     2  version (1)                owner             -
///      6     2  domid                      owner             the domain id
///      8     4  owner pid                  owner             -
///     12     4  max ports (1024)           owner             EVTCHN_2L_NR_CHANNELS (4096 on 64-bit Xen)
///     16     8  owner start time           owner             - (with the pid: a recycled pid is not the owner)
///     24     4  live (1 open, 0 closed)    owner             -
///     64     4  upcall pending             senders, owner    vcpu_info.evtchn_upcall_pending
///     72     8  pending selector           senders, owner    vcpu_info.evtchn_pending_sel (bit w = pending word w)
///    128     4  dispatcher futex word      senders, owner    - (the upcall's "interrupt line")
///    132     4  dispatcher sleepers        owner             -
///    256   128  pending bitmap (16 x u64)  senders, owner    shared_info.evtchn_pending
///    512   128  mask bitmap (16 x u64)     owner             shared_info.evtchn_mask
///   4096  1024 x 16  port table:
///     +0     8  binding: state u8, 0 u8, remote domid u16, remote port u32   (the hypervisor's struct evtchn)
///     +8     4  port futex word            senders, owner    -
///    +12     4  waiters: low 16 bits sync sleepers, high 16 bits async armed  owner
/// total 20480 bytes (5 pages)
/// </code>
/// Each group written by different parties sits on its own 64-byte line; four port entries share a line
/// (ports of one device are usually served by one thread).
/// </remarks>
internal static class EventPageLayout
{
    /// <summary>'PVEV' read as a little-endian u32.</summary>
    internal const uint Magic = 0x56455650;

    /// <summary>The layout version this code writes and accepts.</summary>
    internal const ushort Version = 1;

    /// <summary>Ports per domain; port 0 is never allocated (as in Xen, it means "no port").</summary>
    internal const int MaxPorts = 1024;

    /// <summary>64-bit words in the pending and mask bitmaps.</summary>
    internal const int BitmapWords = MaxPorts / 64;

    internal const int MagicOffset = 0;
    internal const int VersionOffset = 4;
    internal const int DomainIdOffset = 6;
    internal const int OwnerPidOffset = 8;
    internal const int MaxPortsOffset = 12;
    internal const int OwnerStartTimeOffset = 16;
    internal const int LiveOffset = 24;
    internal const int UpcallPendingOffset = 64;
    internal const int PendingSelectorOffset = 72;
    internal const int DispatcherFutexOffset = 128;
    internal const int DispatcherSleepersOffset = 132;
    internal const int PendingOffset = 256;
    internal const int MaskOffset = 512;
    internal const int PortTableOffset = 4096;
    internal const int PortEntrySize = 16;
    internal const int PortBindingOffset = 0;
    internal const int PortFutexOffset = 8;
    internal const int PortWaitersOffset = 12;

    /// <summary>The file's size: the header page plus the port table, 5 pages.</summary>
    internal const int FileSize = PortTableOffset + (MaxPorts * PortEntrySize);

    /// <summary>One async waiter in the port's waiters word.</summary>
    internal const uint AsyncWaiter = 1u << 16;

    /// <summary>The sync sleeper count bits of the waiters word.</summary>
    internal const uint SyncWaiterMask = 0xFFFF;

    /// <summary>The file name of a domain's event page.</summary>
    internal static string FileName(int domainId) => $"evtchn-{domainId}";
}
