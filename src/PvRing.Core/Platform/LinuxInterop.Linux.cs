// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Platform;

/// <summary>The few libc entry points PvRing needs on Linux. Everything here is a thin import.</summary>
internal static unsafe partial class LinuxInterop
{
    private const string LibC = "libc";

    /// <summary><c>EINTR</c>: a blocking call was interrupted by a signal.</summary>
    internal const int EINTR = 4;

    /// <summary><c>ESRCH</c>: no such process.</summary>
    internal const int ESRCH = 3;

    /// <summary><c>EAGAIN</c>: for <c>FUTEX_WAIT</c>, the word no longer held the expected value.</summary>
    internal const int EAGAIN = 11;

    /// <summary><c>EINVAL</c>: an invalid argument.</summary>
    internal const int EINVAL = 22;

    /// <summary><c>ETIMEDOUT</c>: <c>FUTEX_WAIT</c>'s timeout expired.</summary>
    internal const int ETIMEDOUT = 110;

    /// <summary><c>O_RDONLY | O_CLOEXEC</c> for <see cref="Open(byte*, int)"/>.</summary>
    internal const int OpenReadOnlyCloseOnExec = 0x80000;

    /// <summary>
    /// The owner's user id of <paramref name="path"/> itself (a symbolic link is not followed), by <c>statx(2)</c>, whose
    /// structure has one layout on every architecture (<c>stx_uid</c> at byte 20); null if it cannot be read.
    /// </summary>
    internal static uint? GetOwnerUserId(string path)
    {
        const int AtFileDescriptorCurrentDirectory = -100;
        const int AtSymbolicLinkNoFollow = 0x100;
        const uint StatxUid = 0x8;
        byte* buffer = stackalloc byte[256];
        if (Statx(AtFileDescriptorCurrentDirectory, path, AtSymbolicLinkNoFollow, StatxUid, buffer) != 0 || (*(uint*)buffer & StatxUid) == 0)
        {
            return null;
        }

        return *(uint*)(buffer + 20);
    }

    /// <summary>Whether <paramref name="path"/> itself (not following a link) is a Unix socket, by <c>statx(2)</c> (<c>stx_mode</c> at byte 28).</summary>
    internal static bool IsSocket(string path)
    {
        const int AtFileDescriptorCurrentDirectory = -100;
        const int AtSymbolicLinkNoFollow = 0x100;
        const uint StatxType = 0x1;
        const ushort FileTypeMask = 0xF000;
        const ushort SocketType = 0xC000;
        byte* buffer = stackalloc byte[256];
        return Statx(AtFileDescriptorCurrentDirectory, path, AtSymbolicLinkNoFollow, StatxType, buffer) == 0
            && (*(uint*)buffer & StatxType) != 0
            && (*(ushort*)(buffer + 28) & FileTypeMask) == SocketType;
    }

    [LibraryImport(LibC, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);

    /// <summary><c>geteuid(2)</c>: the effective user id of the process; it cannot fail.</summary>
    [LibraryImport(LibC, EntryPoint = "geteuid")]
    internal static partial uint GetEffectiveUserId();

    /// <summary>
    /// <c>syscall(2)</c> with the futex argument list: <c>futex(uaddr, op, val, timeout, uaddr2, val3)</c>.
    /// Declared with fixed parameters: on Linux x64 and arm64 variadic integer and pointer arguments travel in
    /// the same registers as fixed ones.
    /// </summary>
    [LibraryImport(LibC, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long SyscallFutex(long number, uint* address, int operation, uint value, Timespec* timeout, uint* address2, uint value3);

    /// <summary><c>syscall(2)</c> with the mbind argument list: <c>mbind(addr, len, mode, nodemask, maxnode, flags)</c> (fixed parameters, as above).</summary>
    [LibraryImport(LibC, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long SyscallMbind(long number, byte* address, nuint length, int mode, ulong* nodeMask, ulong maxNode, uint flags);

    /// <summary><c>sched_setaffinity(2)</c>; pid 0 is the calling thread.</summary>
    [LibraryImport(LibC, EntryPoint = "sched_setaffinity", SetLastError = true)]
    internal static partial int SchedSetAffinity(int pid, nuint cpuSetSize, ulong* mask);

    /// <summary><c>sched_getaffinity(2)</c>; pid 0 is the calling thread. Returns 0 on success in glibc.</summary>
    [LibraryImport(LibC, EntryPoint = "sched_getaffinity", SetLastError = true)]
    internal static partial int SchedGetAffinity(int pid, nuint cpuSetSize, ulong* mask);

    /// <summary><c>sched_getcpu(3)</c>: the CPU the calling thread runs on (it may move right after).</summary>
    [LibraryImport(LibC, EntryPoint = "sched_getcpu", SetLastError = true)]
    internal static partial int SchedGetCpu();

    /// <summary><c>kill(2)</c>; signal 0 only checks that the process exists.</summary>
    [LibraryImport(LibC, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    /// <summary><c>open(2)</c> of a NUL-terminated UTF-8 path.</summary>
    [LibraryImport(LibC, EntryPoint = "open", SetLastError = true)]
    internal static partial int Open(byte* path, int flags);

    /// <summary><c>O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK</c>: a shared file opened for mapping, never through a symbolic link (<c>ELOOP</c>), never blocking on a FIFO.</summary>
    internal const int OpenSharedFileFlags = 0x2 | 0x20000 | 0x80000 | 0x800;

    /// <summary><c>O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK</c>: a file only read (a copy, no mapping), never through a link, never blocking on a FIFO.</summary>
    internal const int OpenReadOnlyFileFlags = 0x20000 | 0x80000 | 0x800;

    /// <summary><c>ENOENT</c>: no such file.</summary>
    internal const int ENOENT = 2;

    /// <summary><c>EACCES</c>: permission denied.</summary>
    internal const int EACCES = 13;

    /// <summary><c>ENXIO</c>: opening a Unix socket (or a device without a driver).</summary>
    internal const int ENXIO = 6;

    /// <summary><c>ELOOP</c>: with <c>O_NOFOLLOW</c>, the path is a symbolic link.</summary>
    internal const int ELOOP = 40;

    /// <summary><c>open(2)</c> of <paramref name="path"/> with <paramref name="flags"/>; the descriptor, or -1 with <paramref name="error"/>.</summary>
    internal static int Open(string path, int flags, out int error)
    {
        int length = System.Text.Encoding.UTF8.GetByteCount(path);
        byte* bytes = stackalloc byte[length + 1];
        System.Text.Encoding.UTF8.GetBytes(path, new Span<byte>(bytes, length));
        bytes[length] = 0;
        int descriptor = Open(bytes, flags);
        error = descriptor < 0 ? Marshal.GetLastPInvokeError() : 0;
        return descriptor;
    }

    /// <summary><c>read(2)</c>.</summary>
    [LibraryImport(LibC, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, byte* buffer, nuint count);

    /// <summary><c>close(2)</c>.</summary>
    [LibraryImport(LibC, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    /// <summary><c>struct timespec</c> on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        /// <summary>Seconds.</summary>
        public long Seconds;

        /// <summary>Nanoseconds, 0 to 999,999,999.</summary>
        public long Nanoseconds;
    }
}
