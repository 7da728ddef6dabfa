// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>
/// The result of a grant operation on the mapping side, with Xen's <c>GNTST_*</c> values from
/// <c>grant_table.h</c>, so a status can travel in a response as Xen's would.
/// </summary>
public enum GrantStatus : short
{
    /// <summary><c>GNTST_okay</c> (0): the operation succeeded.</summary>
    Okay = 0,

    /// <summary><c>GNTST_general_error</c> (-1): the entry is not a valid access grant (never granted, or revoked), or it kept changing under the compare-and-swap ("unstable entry").</summary>
    GeneralError = -1,

    /// <summary><c>GNTST_bad_domain</c> (-2): the granting domain does not exist.</summary>
    BadDomain = -2,

    /// <summary><c>GNTST_bad_gntref</c> (-3): the grant reference is outside the granter's table or is one of the reserved entries.</summary>
    BadGntref = -3,

    /// <summary><c>GNTST_bad_handle</c> (-4): the mapping handle is not one this mapper handed out, or it was unmapped already.</summary>
    BadHandle = -4,

    /// <summary><c>GNTST_bad_virt_addr</c> (-5): the operating system refused to map the page.</summary>
    BadVirtAddr = -5,

    /// <summary><c>GNTST_bad_dev_addr</c> (-6): unused by PvRing; kept for Xen's numbering.</summary>
    BadDevAddr = -6,

    /// <summary><c>GNTST_no_device_space</c> (-7): unused by PvRing; kept for Xen's numbering.</summary>
    NoDeviceSpace = -7,

    /// <summary><c>GNTST_permission_denied</c> (-8): the grant names another domain, or a read-only grant was used for writing.</summary>
    PermissionDenied = -8,

    /// <summary><c>GNTST_bad_page</c> (-9): the frame the grant (or the request) names is outside the granter's arena.</summary>
    BadPage = -9,

    /// <summary><c>GNTST_bad_copy_arg</c> (-10): the offset and length do not fit within one 4 KiB page.</summary>
    BadCopyArg = -10,

    /// <summary><c>GNTST_address_too_big</c> (-11): unused by PvRing; kept for Xen's numbering.</summary>
    AddressTooBig = -11,

    /// <summary><c>GNTST_eagain</c> (-12): unused by PvRing; kept for Xen's numbering.</summary>
    EAgain = -12,

    /// <summary><c>GNTST_no_space</c> (-13): the mapper's table of mappings (Xen's maptrack) is full.</summary>
    NoSpace = -13,
}
