// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Protocols.Blkif;

/// <summary>
/// <c>struct blkif_request_segment</c> (8 bytes): sectors [<see cref="FirstSector"/>, <see cref="LastSector"/>]
/// (512 bytes each) of one granted 4 KiB frame.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct BlkifRequestSegment
{
    /// <summary><c>gref</c> @0: the grant reference of the frame.</summary>
    [FieldOffset(0)]
    public uint GrantRef;

    /// <summary><c>first_sect</c> @4: the first 512-byte sector used in the frame (0..7).</summary>
    [FieldOffset(4)]
    public byte FirstSector;

    /// <summary><c>last_sect</c> @5: the last 512-byte sector used in the frame (first..7).</summary>
    [FieldOffset(5)]
    public byte LastSector;
}
