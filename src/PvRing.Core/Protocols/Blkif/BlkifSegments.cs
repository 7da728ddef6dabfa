// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Protocols.Blkif;

/// <summary>The 11 inline segments of a <see cref="BlkifRequest"/> (<c>seg[BLKIF_MAX_SEGMENTS_PER_REQUEST]</c>).</summary>
[InlineArray(BlkifProtocol.MaxSegmentsPerRequest)]
public struct BlkifSegments
{
    private BlkifRequestSegment _element0;
}
