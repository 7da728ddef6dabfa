// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Platform;

/// <summary>The memory-mapping imports the grant mappers use.</summary>
internal static unsafe partial class LinuxInterop
{
    /// <summary><c>mmap(2)</c>; returns <c>MAP_FAILED</c> (-1) on error.</summary>
    [LibraryImport(LibC, EntryPoint = "mmap", SetLastError = true)]
    internal static partial void* Mmap(void* address, nuint length, int protection, int flags, int fileDescriptor, long offset);

    /// <summary><c>munmap(2)</c>.</summary>
    [LibraryImport(LibC, EntryPoint = "munmap", SetLastError = true)]
    internal static partial int Munmap(void* address, nuint length);
}
