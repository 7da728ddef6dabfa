// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.TestPeer;

/// <summary>What the hostile writer takes a shared file for, from its name (<see cref="HostileTarget"/>).</summary>
internal enum HostileKind
{
    /// <summary>Anything else: random words anywhere (flush pages, the store pointer, temporary files).</summary>
    Other,

    /// <summary><c>ring-FEATURES-ORDER</c>: a ring file of <see cref="SequencedRequest"/>s of that variant.</summary>
    Ring,

    /// <summary><c>evtchn-N</c>: a domain's event page.</summary>
    EventPage,

    /// <summary><c>gnttab-N</c>: a domain's grant table.</summary>
    GrantTable,

    /// <summary><c>arena-N</c>: a domain's granted frames, holding the netif rings and packet buffers.</summary>
    Arena,
}
