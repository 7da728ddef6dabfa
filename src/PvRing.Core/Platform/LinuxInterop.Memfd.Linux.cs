// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Platform;

/// <summary>
/// The sealed-memory imports: <c>memfd_create(2)</c>, <c>ftruncate(2)</c>, file seals (<c>fcntl(2)</c>
/// <c>F_ADD_SEALS</c>/<c>F_GET_SEALS</c>) and a descriptor's type and size (<c>statx(2)</c> with <c>AT_EMPTY_PATH</c>).
/// </summary>
internal static unsafe partial class LinuxInterop
{
    /// <summary><c>MFD_CLOEXEC</c>.</summary>
    internal const uint MemfdCloseOnExec = 0x1;

    /// <summary><c>MFD_ALLOW_SEALING</c>.</summary>
    internal const uint MemfdAllowSealing = 0x2;

    /// <summary><c>F_SEAL_SEAL</c>: no more seals can be added.</summary>
    internal const int SealSeal = 0x1;

    /// <summary><c>F_SEAL_SHRINK</c>: the file cannot be made smaller.</summary>
    internal const int SealShrink = 0x2;

    /// <summary><c>F_SEAL_GROW</c>: the file cannot be made larger.</summary>
    internal const int SealGrow = 0x4;

    /// <summary><c>F_SEAL_WRITE</c>: the contents cannot be written (a shared writable mapping is refused).</summary>
    internal const int SealWrite = 0x8;

    /// <summary><c>F_SEAL_FUTURE_WRITE</c>: no new writable mapping (Linux 5.1).</summary>
    internal const int SealFutureWrite = 0x10;

    /// <summary><c>EPERM</c>: the operation is not permitted (a sealed file refuses to change its size).</summary>
    internal const int EPERM = 1;

    private const int FcntlDuplicateCloseOnExec = 1030; // F_DUPFD_CLOEXEC
    private const int FcntlAddSeals = 1033; // F_ADD_SEALS
    private const int FcntlGetSeals = 1034; // F_GET_SEALS
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const ushort FileTypeMask = 0xF000; // S_IFMT
    private const ushort RegularFile = 0x8000; // S_IFREG

    /// <summary><c>memfd_create(2)</c>: an anonymous shared-memory file (glibc 2.27 and later).</summary>
    [LibraryImport(LibC, EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MemfdCreate(string name, uint flags);

    /// <summary><c>ftruncate(2)</c>.</summary>
    [LibraryImport(LibC, EntryPoint = "ftruncate", SetLastError = true)]
    internal static partial int Ftruncate(int fd, long length);

    /// <summary><c>fcntl(2)</c> with one integer argument (variadic in C; on x64 and arm64 it travels in the same register).</summary>
    [LibraryImport(LibC, EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport(LibC, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxDescriptor(int fd, string path, int flags, uint mask, byte* buffer);

    /// <summary>Adds <paramref name="seals"/> to a memfd; 0, or the error number.</summary>
    internal static int AddSeals(int fd, int seals) => Fcntl(fd, FcntlAddSeals, seals) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>The seals of <paramref name="fd"/>, or -1 with <paramref name="error"/> (<c>EINVAL</c>: a file that is not shared memory).</summary>
    internal static int GetSeals(int fd, out int error)
    {
        int seals = Fcntl(fd, FcntlGetSeals, 0);
        error = seals < 0 ? Marshal.GetLastPInvokeError() : 0;
        return seals;
    }

    /// <summary>A new descriptor of the same open file (<c>F_DUPFD_CLOEXEC</c>), or -1.</summary>
    internal static int Duplicate(int fd) => Fcntl(fd, FcntlDuplicateCloseOnExec, 0);

    /// <summary>Whether <paramref name="fd"/> is a regular file, and its size; false if it cannot be read.</summary>
    internal static bool TryGetFileSize(int fd, out bool isRegular, out long size)
    {
        byte* buffer = stackalloc byte[256];
        isRegular = false;
        size = 0;
        if (StatxDescriptor(fd, string.Empty, AtEmptyPath, StatxType | StatxSize, buffer) != 0)
        {
            return false;
        }

        uint mask = *(uint*)buffer;
        if ((mask & (StatxType | StatxSize)) != (StatxType | StatxSize))
        {
            return false;
        }

        // struct statx: stx_mode (u16) at byte 28, stx_size (u64) at byte 40, on every architecture.
        isRegular = (*(ushort*)(buffer + 28) & FileTypeMask) == RegularFile;
        size = *(long*)(buffer + 40);
        return true;
    }
}
