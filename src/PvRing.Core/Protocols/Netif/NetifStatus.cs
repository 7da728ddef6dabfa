// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Protocols.Netif;

/// <summary><c>NETIF_RSP_*</c>: response status codes.</summary>
public static class NetifStatus
{
    /// <summary><c>NETIF_RSP_DROPPED</c>: the packet was dropped.</summary>
    public const short Dropped = -2;

    /// <summary><c>NETIF_RSP_ERROR</c>: the request was bad.</summary>
    public const short Error = -1;

    /// <summary><c>NETIF_RSP_OKAY</c>.</summary>
    public const short Okay = 0;

    /// <summary><c>NETIF_RSP_NULL</c>: filler response for a slot used by an extra.</summary>
    public const short Null = 1;
}
