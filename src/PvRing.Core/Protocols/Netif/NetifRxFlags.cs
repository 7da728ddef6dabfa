// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Protocols.Netif;

/// <summary><c>NETRXF_*</c>: flags of a <see cref="NetifRxResponse"/>.</summary>
[Flags]
public enum NetifRxFlags : ushort
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary><c>NETRXF_data_validated</c>.</summary>
    DataValidated = 1,

    /// <summary><c>NETRXF_csum_blank</c>.</summary>
    ChecksumBlank = 2,

    /// <summary><c>NETRXF_more_data</c>: the packet continues in the next slot.</summary>
    MoreData = 4,

    /// <summary><c>NETRXF_extra_info</c>: an extra-info slot follows.</summary>
    ExtraInfo = 8,

    /// <summary><c>NETRXF_gso_prefix</c> (deprecated).</summary>
    GsoPrefix = 0x10,

    /// <summary>
    /// A PvRing extension, only with <c>feature-inline-data</c> agreed: the payload (the slot's size field, at most the
    /// slot's room) is in the slot itself, after the entry, and no page is granted or written for it.
    /// </summary>
    Inline = 0x80,
}
