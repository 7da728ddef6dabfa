// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Protocols.Blkif;

/// <summary><c>struct blkif_request</c> (112 bytes on x86_64): a read or write of up to 11 segments.</summary>
[StructLayout(LayoutKind.Explicit, Size = 112)]
public struct BlkifRequest
{
    /// <summary><c>operation</c> @0: a <c>BLKIF_OP_*</c> value (<see cref="BlkifProtocol"/>).</summary>
    [FieldOffset(0)]
    public byte Operation;

    /// <summary><c>nr_segments</c> @1: segments used (1..11; 0 only for flush/barrier).</summary>
    [FieldOffset(1)]
    public byte SegmentCount;

    /// <summary><c>handle</c> @2: the virtual device handle.</summary>
    [FieldOffset(2)]
    public ushort Handle;

    /// <summary><c>id</c> @8: echoed in the response.</summary>
    [FieldOffset(8)]
    public ulong Id;

    /// <summary><c>sector_number</c> @16: the first 512-byte sector on the device.</summary>
    [FieldOffset(16)]
    public ulong SectorNumber;

    /// <summary><c>seg</c> @24: the segments.</summary>
    [FieldOffset(24)]
    public BlkifSegments Segments;
}
