// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Platform;

/// <summary>The page mapper of this operating system, chosen once per process (Linux only so far).</summary>
internal static class PageMappers
{
    private static readonly Lazy<IPageMapper> s_default = new(() => OperatingSystem.IsLinux()
        ? new LinuxMmapPageMapper()
        : throw new PlatformNotSupportedException(
            $"PvRing maps grants with mmap on Linux only so far; this is {System.Runtime.InteropServices.RuntimeInformation.OSDescription}."));

    /// <summary>The page mapper.</summary>
    internal static IPageMapper Default => s_default.Value;
}
