// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.TestPeer;

/// <summary>A request carrying a full 64-bit sequence number, so loss, duplication and reordering show.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SequencedRequest
{
    public ulong Sequence;
    public ulong Payload;
}

/// <summary>The answer to a <see cref="SequencedRequest"/>: its sequence and a checksum of its payload.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SequencedResponse
{
    public ulong Sequence;
    public ulong Checksum;

    public static ulong ChecksumOf(in SequencedRequest request) => unchecked((request.Payload * 0x9E3779B97F4A7C15UL) ^ request.Sequence);
}
