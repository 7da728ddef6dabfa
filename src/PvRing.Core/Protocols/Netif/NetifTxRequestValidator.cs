// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using PvRing.Memory;
using PvRing.Rings;

namespace PvRing.Protocols.Netif;

/// <summary>
/// Validates a copied <see cref="NetifTxRequest"/> that carries a whole packet in one slot (no
/// <see cref="NetifTxFlags.MoreData"/>, no <see cref="NetifTxFlags.ExtraInfo"/>), as the Tx/Rx samples send:
/// known flags only, and <c>offset + size</c> within one 4096-byte page (netback's fatal check).
/// </summary>
public readonly struct NetifTxRequestValidator : IRequestValidator<NetifTxRequest>
{
    private const NetifTxFlags Known = NetifTxFlags.ChecksumBlank | NetifTxFlags.DataValidated;

    /// <summary>Whether <paramref name="request"/> is acceptable; the cheap check for hot loops.</summary>
    public static bool IsValid(in NetifTxRequest request) =>
        (request.Flags & ~Known) == 0 && request.Offset + request.Size <= XenPage.Size;

    /// <inheritdoc />
    public string? Validate(in NetifTxRequest request) => IsValid(in request) ? null : Describe(request);

    /// <summary>Why <paramref name="request"/> is not acceptable, as <c>name=value</c> pairs.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Describe(NetifTxRequest request) => (request.Flags & ~Known) != 0
        ? $"flags=0x{(ushort)request.Flags:x} (only single-slot packets without extras are accepted), id={request.Id}"
        : $"offset={request.Offset}, size={request.Size} (offset+size > {XenPage.Size}), id={request.Id}";
}
