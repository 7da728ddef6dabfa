// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Protocols.Netif;

/// <summary><c>struct netif_tx_response</c> (4 bytes): the back's answer to one TX slot.</summary>
[StructLayout(LayoutKind.Explicit, Size = 4)]
public struct NetifTxResponse
{
    /// <summary><c>id</c> @0: the request's id.</summary>
    [FieldOffset(0)]
    public ushort Id;

    /// <summary><c>status</c> @2: a <see cref="NetifStatus"/> value.</summary>
    [FieldOffset(2)]
    public short Status;
}
