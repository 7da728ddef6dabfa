// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Store;

/// <summary>
/// Inside the server: a request is refused with a Xen error name. The connection answers it with an
/// <c>XS_ERROR</c> reply and keeps serving; it never escapes the server.
/// </summary>
internal sealed class StoreOperationException : Exception
{
    public StoreOperationException(string errorName, string detail)
        : base($"{errorName}: {detail}")
    {
        ErrorName = errorName;
    }

    public string ErrorName { get; }
}
