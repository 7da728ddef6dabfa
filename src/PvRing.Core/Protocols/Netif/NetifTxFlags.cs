// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Protocols.Netif;

/// <summary><c>NETTXF_*</c>: flags of a <see cref="NetifTxRequest"/>.</summary>
[Flags]
public enum NetifTxFlags : ushort
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary><c>NETTXF_csum_blank</c>: the protocol checksum field is blank.</summary>
    ChecksumBlank = 1,

    /// <summary><c>NETTXF_data_validated</c>: the checksum has been validated.</summary>
    DataValidated = 2,

    /// <summary><c>NETTXF_more_data</c>: the packet continues in the next slot.</summary>
    MoreData = 4,

    /// <summary><c>NETTXF_extra_info</c>: an extra-info slot follows.</summary>
    ExtraInfo = 8,

    /// <summary>
    /// A PvRing extension, only with <c>feature-inline-data</c> agreed: the payload (the slot's size field, at most the
    /// slot's room) is in the slot itself, after the entry, and no page is granted or written for it.
    /// </summary>
    Inline = 0x80,
}
