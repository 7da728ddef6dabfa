// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Store;

/// <summary>
/// The store refused a request: it answered with an <c>XS_ERROR</c> reply whose error name (for example
/// <c>ENOENT</c>, <c>EACCES</c>, <c>EAGAIN</c>) is in <see cref="ErrorName"/>.
/// </summary>
public sealed class XenStoreException : PvRingException
{
    /// <summary>Creates the exception for an error reply to a request on <paramref name="path"/>.</summary>
    public XenStoreException(string errorName, string operation, string? path)
        : base($"xenstore {operation}{(path is null ? "" : $" '{path}'")} failed: {errorName}.")
    {
        ArgumentException.ThrowIfNullOrEmpty(errorName);
        ErrorName = errorName;
        Operation = operation;
        Path = path;
    }

    /// <summary>The Xen error name from the reply, one of <see cref="XenStoreErrorNames"/> or another errno name.</summary>
    public string ErrorName { get; }

    /// <summary>The request that failed, for example <c>READ</c>.</summary>
    public string Operation { get; }

    /// <summary>The path the request named, if any.</summary>
    public string? Path { get; }

    /// <summary>Whether the error is <c>EAGAIN</c>: a transaction conflicted and must be retried.</summary>
    public bool IsConflict => ErrorName == XenStoreErrorNames.Again;
}
