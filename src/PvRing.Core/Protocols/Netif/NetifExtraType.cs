// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Protocols.Netif;

/// <summary><c>XEN_NETIF_EXTRA_*</c> and <c>XEN_NETIF_GSO_TYPE_*</c> constants, and the netif limits.</summary>
public static class NetifExtraType
{
    /// <summary><c>XEN_NETIF_EXTRA_TYPE_NONE</c> (invalid).</summary>
    public const byte None = 0;

    /// <summary><c>XEN_NETIF_EXTRA_TYPE_GSO</c>.</summary>
    public const byte Gso = 1;

    /// <summary><c>XEN_NETIF_EXTRA_TYPE_MCAST_ADD</c>.</summary>
    public const byte MulticastAdd = 2;

    /// <summary><c>XEN_NETIF_EXTRA_TYPE_MCAST_DEL</c>.</summary>
    public const byte MulticastDelete = 3;

    /// <summary><c>XEN_NETIF_EXTRA_TYPE_HASH</c>.</summary>
    public const byte Hash = 4;

    /// <summary><c>XEN_NETIF_EXTRA_TYPE_MAX</c> in Xen's header: types are below it.</summary>
    public const byte Max = 5;

    /// <summary><c>XEN_NETIF_EXTRA_FLAG_MORE</c>: another extra follows.</summary>
    public const byte FlagMore = 1;

    /// <summary><c>XEN_NETIF_GSO_TYPE_TCPV4</c>.</summary>
    public const byte GsoTcpV4 = 1;

    /// <summary><c>XEN_NETIF_GSO_TYPE_TCPV6</c>.</summary>
    public const byte GsoTcpV6 = 2;

    /// <summary><c>XEN_NETIF_MAX_TX_SIZE</c>: the largest packet, in bytes.</summary>
    public const int MaxTxSize = 0xFFFF;

    /// <summary><c>XEN_NETIF_NR_SLOTS_MIN</c>: slots per packet every back end must accept.</summary>
    public const int MinSlotsPerPacket = 18;
}
