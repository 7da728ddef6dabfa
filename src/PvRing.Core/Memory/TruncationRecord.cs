// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Memory;

/// <summary>
/// A named shared file's verdict, shared by every <see cref="TruncationGuard"/> of it: null while it was never found
/// truncated, then the error every later check throws (the first guard that saw the truncation gave the file its length
/// back, so a size check alone would no longer tell).
/// </summary>
internal sealed class TruncationRecord
{
    /// <summary>The error message, once a guard found the file truncated; written once.</summary>
    internal string? Message;
}
