// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Store;

/// <summary>What a permission entry grants; the letters of xenstore's permission strings.</summary>
[Flags]
public enum XenStoreAccess
{
    /// <summary><c>n</c>: nothing.</summary>
    None = 0,

    /// <summary><c>r</c>: read the value, list the children, watch.</summary>
    Read = 1,

    /// <summary><c>w</c>: write the value, create children, remove.</summary>
    Write = 2,

    /// <summary><c>b</c>: both read and write.</summary>
    Both = Read | Write,
}
