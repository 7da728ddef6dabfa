// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Store;

/// <summary>
/// The error names a xenstore server returns in an <c>XS_ERROR</c> reply (the <c>xsd_errors</c> table of
/// <c>io/xs_wire.h</c>, plus oxenstored's <c>EQUOTA</c>).
/// </summary>
public static class XenStoreErrorNames
{
    /// <summary>Malformed request, invalid path or argument.</summary>
    public const string InvalidArgument = "EINVAL";

    /// <summary>The node's permissions deny the caller.</summary>
    public const string AccessDenied = "EACCES";

    /// <summary>The node exists already (for example watching the same path and token twice).</summary>
    public const string Exists = "EEXIST";

    /// <summary>The node, transaction or watch does not exist.</summary>
    public const string NotFound = "ENOENT";

    /// <summary>Out of space.</summary>
    public const string NoSpace = "ENOSPC";

    /// <summary>The request type is known but not supported by this server.</summary>
    public const string NotSupported = "ENOSYS";

    /// <summary>The transaction conflicted with another change; retry the whole transaction.</summary>
    public const string Again = "EAGAIN";

    /// <summary>The payload, value or reply is larger than the protocol or the configured limit allows.</summary>
    public const string TooBig = "E2BIG";

    /// <summary>The operation needs a privileged (domain 0) connection.</summary>
    public const string NotPermitted = "EPERM";

    /// <summary>A per-domain quota (nodes, watches, transactions) is exhausted.</summary>
    public const string Quota = "EQUOTA";

    /// <summary>Input/output error.</summary>
    public const string IOError = "EIO";
}
