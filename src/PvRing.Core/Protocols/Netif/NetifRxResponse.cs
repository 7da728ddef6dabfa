// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Protocols.Netif;

/// <summary><c>struct netif_rx_response</c> (8 bytes): one slot of a received packet.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct NetifRxResponse
{
    /// <summary><c>id</c> @0.</summary>
    [FieldOffset(0)]
    public ushort Id;

    /// <summary><c>offset</c> @2: where the data starts in the buffer page.</summary>
    [FieldOffset(2)]
    public ushort Offset;

    /// <summary><c>flags</c> @4: <see cref="NetifRxFlags"/>.</summary>
    [FieldOffset(4)]
    public NetifRxFlags Flags;

    /// <summary><c>status</c> @6: the byte count in this slot if non-negative, else a <see cref="NetifStatus"/> error.</summary>
    [FieldOffset(6)]
    public short Status;
}
