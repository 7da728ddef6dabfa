// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Platform;

/// <summary><see cref="IPageMapper"/> over <c>mmap(2)</c> and <c>munmap(2)</c>.</summary>
internal sealed unsafe class LinuxMmapPageMapper : IPageMapper
{
    private const int ProtRead = 0x1;
    private const int ProtWrite = 0x2;
    private const int MapShared = 0x01;

    /// <inheritdoc/>
    public byte* Map(int fileDescriptor, long offset, nuint length, bool writable, out int errorNumber)
    {
        void* address = LinuxInterop.Mmap(null, length, writable ? ProtRead | ProtWrite : ProtRead, MapShared, fileDescriptor, offset);
        if (address == (void*)-1)
        {
            errorNumber = Marshal.GetLastPInvokeError();
            return null;
        }

        errorNumber = 0;
        return (byte*)address;
    }

    /// <inheritdoc/>
    public void Unmap(byte* address, nuint length)
    {
        // munmap only fails for a range that is not page-aligned, which Map never returns.
        _ = LinuxInterop.Munmap(address, length);
    }
}
