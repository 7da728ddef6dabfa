// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Protocols.Blkif;

/// <summary>Constants of <c>io/blkif.h</c>.</summary>
public static class BlkifProtocol
{
    /// <summary><c>BLKIF_OP_READ</c>.</summary>
    public const byte OperationRead = 0;

    /// <summary><c>BLKIF_OP_WRITE</c>.</summary>
    public const byte OperationWrite = 1;

    /// <summary><c>BLKIF_OP_WRITE_BARRIER</c>.</summary>
    public const byte OperationWriteBarrier = 2;

    /// <summary><c>BLKIF_OP_FLUSH_DISKCACHE</c>.</summary>
    public const byte OperationFlushDiskCache = 3;

    /// <summary><c>BLKIF_OP_DISCARD</c>.</summary>
    public const byte OperationDiscard = 5;

    /// <summary><c>BLKIF_OP_INDIRECT</c>.</summary>
    public const byte OperationIndirect = 6;

    /// <summary><c>BLKIF_RSP_EOPNOTSUPP</c>.</summary>
    public const short StatusNotSupported = -2;

    /// <summary><c>BLKIF_RSP_ERROR</c>.</summary>
    public const short StatusError = -1;

    /// <summary><c>BLKIF_RSP_OKAY</c>.</summary>
    public const short StatusOkay = 0;

    /// <summary><c>BLKIF_MAX_SEGMENTS_PER_REQUEST</c>.</summary>
    public const int MaxSegmentsPerRequest = 11;

    /// <summary>The sector unit of the protocol, whatever the device's sector size.</summary>
    public const int SectorSize = 512;
}
