// Licensed under the MIT License. See LICENSE in the repository root.

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

    /// <inheritdoc />
    public string? Validate(in NetifTxRequest request)
    {
        if ((request.Flags & ~Known) != 0)
        {
            return $"flags=0x{(ushort)request.Flags:x} (only single-slot packets without extras are accepted), id={request.Id}";
        }

        if (request.Offset + request.Size > XenPage.Size)
        {
            return $"offset={request.Offset}, size={request.Size} (offset+size > {XenPage.Size}), id={request.Id}";
        }

        return null;
    }
}
