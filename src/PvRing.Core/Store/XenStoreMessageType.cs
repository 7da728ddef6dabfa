// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Store;

/// <summary>The <c>enum xsd_sockmsg_type</c> values of Xen's <c>io/xs_wire.h</c> that PvRing speaks.</summary>
internal enum XenStoreMessageType : uint
{
    Control = 0,
    Directory = 1,
    Read = 2,
    GetPerms = 3,
    Watch = 4,
    Unwatch = 5,
    TransactionStart = 6,
    TransactionEnd = 7,
    Introduce = 8,
    Release = 9,
    GetDomainPath = 10,
    Write = 11,
    Mkdir = 12,
    Rm = 13,
    SetPerms = 14,
    WatchEvent = 15,
    Error = 16,
    IsDomainIntroduced = 17,
    Resume = 18,
    SetTarget = 19,

    /// <summary>
    /// Removed from Xen's header but never reused: PvRing gives it back its historical meaning ("this
    /// connection now acts as domain N") so that a process can join as an unprivileged domain (docs/store.md).
    /// </summary>
    Restrict = 20,
    ResetWatches = 21,
    DirectoryPart = 22,
}
