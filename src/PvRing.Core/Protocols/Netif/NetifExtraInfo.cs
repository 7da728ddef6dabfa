// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Protocols.Netif;

/// <summary>
/// <c>struct netif_extra_info</c> (8 bytes): an extra slot that follows a TX request or RX response carrying
/// the extra-info flag. <see cref="Type"/> says which union member is meaningful.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public unsafe struct NetifExtraInfo
{
    /// <summary><c>type</c> @0: a <see cref="NetifExtraType"/> value.</summary>
    [FieldOffset(0)]
    public byte Type;

    /// <summary><c>flags</c> @1: <see cref="NetifExtraType.FlagMore"/> if another extra follows.</summary>
    [FieldOffset(1)]
    public byte Flags;

    /// <summary><c>u.gso.size</c> @2: the maximum segment size.</summary>
    [FieldOffset(2)]
    public ushort GsoSize;

    /// <summary><c>u.gso.type</c> @4: a <see cref="NetifExtraType"/> GSO type (TCPv4 1, TCPv6 2).</summary>
    [FieldOffset(4)]
    public byte GsoType;

    /// <summary><c>u.gso.pad</c> @5.</summary>
    [FieldOffset(5)]
    public byte GsoPad;

    /// <summary><c>u.gso.features</c> @6.</summary>
    [FieldOffset(6)]
    public ushort GsoFeatures;

    /// <summary><c>u.mcast.addr</c> @2: a multicast MAC address (6 bytes).</summary>
    [FieldOffset(2)]
    public fixed byte MulticastAddress[6];

    /// <summary><c>u.hash.type</c> @2.</summary>
    [FieldOffset(2)]
    public byte HashType;

    /// <summary><c>u.hash.algorithm</c> @3.</summary>
    [FieldOffset(3)]
    public byte HashAlgorithm;

    /// <summary><c>u.hash.value</c> @4: the hash, least significant byte first.</summary>
    [FieldOffset(4)]
    public fixed byte HashValue[4];
}
