// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Platform;

/// <summary><see cref="IPageMapper"/> over <c>mmap(2)</c> and <c>munmap(2)</c>.</summary>
internal sealed unsafe class LinuxMmapPageMapper : IPageMapper
{
    private const int ProtRead = 0x1;
    private const int ProtWrite = 0x2;
    private const int ProtNone = 0x0;
    private const int MapShared = 0x01;
    private const int MapPrivate = 0x02;
    private const int MapFixedFlag = 0x10;
    private const int MapAnonymous = 0x20;
    private const int MapNoReserve = 0x4000;

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
    public byte* Reserve(nuint length, out int errorNumber)
    {
        void* address = LinuxInterop.Mmap(null, length, ProtNone, MapPrivate | MapAnonymous | MapNoReserve, -1, 0);
        if (address == (void*)-1)
        {
            errorNumber = Marshal.GetLastPInvokeError();
            return null;
        }

        errorNumber = 0;
        return (byte*)address;
    }

    /// <inheritdoc/>
    public bool MapFixed(byte* address, int fileDescriptor, long offset, nuint length, bool writable, out int errorNumber)
    {
        // MAP_FIXED over our own reservation: it atomically replaces those pages and nothing else.
        void* mapped = LinuxInterop.Mmap(address, length, writable ? ProtRead | ProtWrite : ProtRead, MapShared | MapFixedFlag, fileDescriptor, offset);
        if (mapped == (void*)-1)
        {
            errorNumber = Marshal.GetLastPInvokeError();
            return false;
        }

        errorNumber = 0;
        return true;
    }

    /// <inheritdoc/>
    public void Unmap(byte* address, nuint length)
    {
        // munmap only fails for a range that is not page-aligned, which Map never returns.
        _ = LinuxInterop.Munmap(address, length);
    }
}
