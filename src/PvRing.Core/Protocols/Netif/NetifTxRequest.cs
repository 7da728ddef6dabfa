// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Protocols.Netif;

/// <summary>
/// <c>struct netif_tx_request</c> (12 bytes): one slot of a packet the front transmits. In the first slot of a
/// packet <see cref="Size"/> is the whole packet's length; in later slots it is that fragment's length.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 12)]
public struct NetifTxRequest
{
    /// <summary><c>gref</c> @0: the grant reference of the page holding the data.</summary>
    [FieldOffset(0)]
    public uint GrantRef;

    /// <summary><c>offset</c> @4: where the data starts in that page.</summary>
    [FieldOffset(4)]
    public ushort Offset;

    /// <summary><c>flags</c> @6: <see cref="NetifTxFlags"/>.</summary>
    [FieldOffset(6)]
    public NetifTxFlags Flags;

    /// <summary><c>id</c> @8: echoed in the response.</summary>
    [FieldOffset(8)]
    public ushort Id;

    /// <summary><c>size</c> @10: packet length (first slot) or fragment length.</summary>
    [FieldOffset(10)]
    public ushort Size;
}
