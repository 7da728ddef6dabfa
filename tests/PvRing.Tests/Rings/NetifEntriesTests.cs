// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;
using CsCheck;
using PvRing.Protocols.Netif;

namespace PvRing.Tests.Rings;

/// <summary>The word-built netif entries (the queues produce them) are byte for byte the entries netif's field layout gives.</summary>
public sealed class NetifEntriesTests
{
    [Fact]
    public void EveryEntry_MatchesTheFieldByFieldOne()
    {
        Gen.Select(Gen.UShort, Gen.UShort, Gen.UShort, Gen.UInt).Sample((id, flags, size, grant) =>
        {
            short status = unchecked((short)size);
            Assert.Equal(
                Bytes(new NetifTxResponse { Id = id, Status = status }),
                Bytes(NetifEntries.TxResponse(id, status)));
            Assert.Equal(
                Bytes(new NetifRxResponse { Id = id, Offset = 0, Flags = (NetifRxFlags)flags, Status = status }),
                Bytes(NetifEntries.RxResponse(id, (NetifRxFlags)flags, status)));
            Assert.Equal(
                Bytes(new NetifRxRequest { Id = id, Pad = 0, GrantRef = grant }),
                Bytes(NetifEntries.RxRequest(id, grant)));
            Assert.Equal(
                Bytes(new NetifTxRequest { GrantRef = grant, Offset = 0, Flags = (NetifTxFlags)flags, Id = id, Size = size }),
                Bytes(NetifEntries.TxRequest(grant, (NetifTxFlags)flags, id, size)));
        });
    }

    private static byte[] Bytes<T>(T entry)
        where T : unmanaged => MemoryMarshal.AsBytes(new ReadOnlySpan<T>(ref entry)).ToArray();
}
