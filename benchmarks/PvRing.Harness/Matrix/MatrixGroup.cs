// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Harness.Matrix;

/// <summary>What kind of measurement a matrix cell is, and so which runner measures it.</summary>
internal enum MatrixGroup
{
    /// <summary>A reference: a C program (Xen's ring.h, the byte ring, the cache-line ping-pong, memcpy) or .NET sockets.</summary>
    Baseline,

    /// <summary>12-byte netif TX descriptors through a bare ring in one <see cref="RingWorkload"/> (both ends busy-poll).</summary>
    Ring,

    /// <summary>Packets through the transport (a connected netif queue) in one grant mode.</summary>
    Packet,

    /// <summary>One 8-byte request outstanding at a time through a ring, waiting by one strategy (the histogram's cells).</summary>
    RoundTrip,

    /// <summary>The application API: a 64 B round trip through <c>PvRingConnection</c>, bulk bytes through its pipe.</summary>
    Application,
}
