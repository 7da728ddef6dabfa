// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Protocols.Netif;

/// <summary><c>struct netif_rx_request</c> (8 bytes): a buffer page the front posts for received packets.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct NetifRxRequest
{
    /// <summary><c>id</c> @0: echoed in the response (Linux uses the slot index).</summary>
    [FieldOffset(0)]
    public ushort Id;

    /// <summary><c>pad</c> @2.</summary>
    [FieldOffset(2)]
    public ushort Pad;

    /// <summary><c>gref</c> @4: the grant reference of the buffer page.</summary>
    [FieldOffset(4)]
    public uint GrantRef;
}
