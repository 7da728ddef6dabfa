// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Platform;

/// <summary>
/// Maps pages of a file into this process and unmaps them: the emulated grant map. On Linux a real
/// <c>mmap(2)</c>/<c>munmap(2)</c>, so an unmap costs what Xen's does (page-table update and TLB shootdown).
/// </summary>
internal unsafe interface IPageMapper
{
    /// <summary>
    /// Maps <paramref name="length"/> bytes of the file <paramref name="fileDescriptor"/> at
    /// <paramref name="offset"/> (a multiple of 4096), shared, read-only or read-write. Returns null and the
    /// error number when the kernel refuses.
    /// </summary>
    byte* Map(int fileDescriptor, long offset, nuint length, bool writable, out int errorNumber);

    /// <summary>
    /// Reserves <paramref name="length"/> bytes of address space with no access, to be filled page by page with
    /// <see cref="MapFixed"/> (a contiguous view of scattered frames, as Xen's <c>xenbus_map_ring_valloc</c>).
    /// Returns null and the error number when the kernel refuses.
    /// </summary>
    byte* Reserve(nuint length, out int errorNumber);

    /// <summary>
    /// Maps <paramref name="length"/> bytes of the file at <paramref name="offset"/> exactly at
    /// <paramref name="address"/>, which lies inside a range <see cref="Reserve"/> returned, replacing what was
    /// there. Returns false and the error number when the kernel refuses (the reservation is then unchanged).
    /// </summary>
    bool MapFixed(byte* address, int fileDescriptor, long offset, nuint length, bool writable, out int errorNumber);

    /// <summary>Unmaps a range <see cref="Map"/> or <see cref="Reserve"/> returned.</summary>
    void Unmap(byte* address, nuint length);
}
