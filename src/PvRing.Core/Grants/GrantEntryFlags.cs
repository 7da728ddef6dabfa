// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>The <c>flags</c> field of a v1 grant entry (<c>GTF_*</c> in Xen's <c>grant_table.h</c>).</summary>
[Flags]
public enum GrantEntryFlags : ushort
{
    /// <summary>Type 0, <c>GTF_invalid</c>: the entry grants nothing.</summary>
    Invalid = 0,

    /// <summary>Type 1, <c>GTF_permit_access</c>: the named domain may map or copy the frame.</summary>
    PermitAccess = 1,

    /// <summary>Type 2, <c>GTF_accept_transfer</c>: not supported by PvRing; a mapper treats it as invalid.</summary>
    AcceptTransfer = 2,

    /// <summary>Type 3, <c>GTF_transitive</c> (v2 only): not supported by PvRing; a mapper treats it as invalid.</summary>
    Transitive = 3,

    /// <summary>The mask of the two type bits (<c>GTF_type_mask</c>).</summary>
    TypeMask = 3,

    /// <summary><c>GTF_readonly</c> (bit 2), set by the granter: read-only mappings and copies only.</summary>
    ReadOnly = 1 << 2,

    /// <summary><c>GTF_reading</c> (bit 3), set by the mapper: the frame is mapped or being copied.</summary>
    Reading = 1 << 3,

    /// <summary><c>GTF_writing</c> (bit 4), set by the mapper: the frame is mapped writable or being written.</summary>
    Writing = 1 << 4,
}
