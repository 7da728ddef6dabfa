// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Protocols.Blkif;

/// <summary><c>struct blkif_response</c> (16 bytes on x86_64).</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct BlkifResponse
{
    /// <summary><c>id</c> @0: the request's id.</summary>
    [FieldOffset(0)]
    public ulong Id;

    /// <summary><c>operation</c> @8: the request's operation.</summary>
    [FieldOffset(8)]
    public byte Operation;

    /// <summary><c>status</c> @10: a <c>BLKIF_RSP_*</c> value.</summary>
    [FieldOffset(10)]
    public short Status;
}
