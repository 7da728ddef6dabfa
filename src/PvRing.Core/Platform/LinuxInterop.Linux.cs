// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Platform;

/// <summary>The few libc entry points PvRing needs on Linux. Everything here is a thin import.</summary>
internal static partial class LinuxInterop
{
    private const string LibC = "libc";

    /// <summary><c>geteuid(2)</c>: the effective user id of the process; it cannot fail.</summary>
    [LibraryImport(LibC, EntryPoint = "geteuid")]
    internal static partial uint GetEffectiveUserId();
}
