// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Protocols.Netif;

/// <summary>
/// Netif entries built as whole words, for producing into a ring. An object initialiser builds one field by field in a
/// stack temporary that the ring's produce then reads back as one or two wider loads, which the CPU cannot forward from
/// the narrower stores: a stall of some ten cycles on every packet (a <c>perf</c> profile of PvRing's in-process echo put
/// 4.5% of it on the one load). The layouts are netif's (<c>io/netif.h</c>), little-endian as Xen's; every field not
/// given is 0 (offsets, the receive response's offset).
/// </summary>
public static class NetifEntries
{
    /// <summary>A transmit response: <paramref name="id"/> and <paramref name="status"/> (<see cref="NetifStatus"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static NetifTxResponse TxResponse(ushort id, short status) =>
        Unsafe.BitCast<uint, NetifTxResponse>(id | ((uint)(ushort)status << 16));

    /// <summary>A receive response at offset 0: <paramref name="status"/> is the byte count (or a negative <see cref="NetifStatus"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static NetifRxResponse RxResponse(ushort id, NetifRxFlags flags, short status) =>
        Unsafe.BitCast<ulong, NetifRxResponse>(id | ((ulong)(ushort)flags << 32) | ((ulong)(ushort)status << 48)); // offset 0

    /// <summary>A receive request: a posted buffer's <paramref name="id"/> and the grant of its page.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static NetifRxRequest RxRequest(ushort id, uint grantRef) =>
        Unsafe.BitCast<ulong, NetifRxRequest>(id | ((ulong)grantRef << 32));

    /// <summary>A transmit request at offset 0: an 8-byte and a 4-byte word, as the 12-byte entry is copied.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static NetifTxRequest TxRequest(uint grantRef, NetifTxFlags flags, ushort id, ushort size)
    {
        Unsafe.SkipInit(out NetifTxRequest request);
        Unsafe.As<NetifTxRequest, ulong>(ref request) = grantRef | ((ulong)(ushort)flags << 48);
        Unsafe.Add(ref Unsafe.As<NetifTxRequest, uint>(ref request), 2) = id | ((uint)size << 16);
        return request;
    }
}
