// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;

namespace PvRing.Platform;

/// <summary>
/// Descriptor passing on a connected Unix stream socket: <c>sendmsg(2)</c>/<c>recvmsg(2)</c> with an <c>SCM_RIGHTS</c>
/// control message (.NET's sockets cannot pass descriptors). A descriptor travels with the first byte of the data it was
/// sent with; every receive collects the descriptors that came with its bytes, close-on-exec (<c>MSG_CMSG_CLOEXEC</c>).
/// </summary>
/// <remarks>
/// Layouts (LP64 Linux, x64 and arm64 alike): <c>struct msghdr</c> is name (8), namelen (4 + 4 padding), iov (8),
/// iovlen (8), control (8), controllen (8), flags (4 + 4): 56 bytes; <c>struct cmsghdr</c> is len (8), level (4),
/// type (4), then the data, aligned to 8 (<c>CMSG_SPACE</c>).
/// </remarks>
internal static unsafe partial class LinuxDescriptorPassing
{
    /// <summary>The most descriptors one receive accepts; more are closed and reported as a violation.</summary>
    internal const int MaxDescriptorsPerReceive = 8;

    private const string LibC = "libc";
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int MsgControlTruncated = 0x8; // MSG_CTRUNC
    private const int MsgNoSignal = 0x4000; // MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE
    private const int MsgCmsgCloseOnExec = 0x40000000; // MSG_CMSG_CLOEXEC
    private const int ControlHeaderSize = 16;
    private const short PollIn = 0x1;
    private const short PollOut = 0x4;
    private const int ShutdownBoth = 2;

    /// <summary>The outcome of <see cref="Receive"/>.</summary>
    internal enum ReceiveStatus
    {
        /// <summary>Bytes arrived (and perhaps descriptors).</summary>
        Data,

        /// <summary>Nothing to read before the timeout.</summary>
        TimedOut,

        /// <summary>The peer closed its end.</summary>
        Closed,

        /// <summary>The kernel reported an error (the error number is returned).</summary>
        Failed,
    }

    /// <summary>
    /// Sends all of <paramref name="data"/>, with <paramref name="descriptor"/> (when not -1) attached to its first byte;
    /// waits at most <paramref name="timeoutMilliseconds"/> for room. Returns 0, or the error number (<c>ETIMEDOUT</c>).
    /// </summary>
    internal static int Send(int socket, ReadOnlySpan<byte> data, int descriptor, int timeoutMilliseconds)
    {
        long deadline = Environment.TickCount64 + timeoutMilliseconds;
        byte* control = stackalloc byte[ControlHeaderSize + 8];
        bool attach = descriptor >= 0;
        fixed (byte* start = data)
        {
            int sent = 0;
            while (sent < data.Length)
            {
                var vector = new IoVector { Base = start + sent, Length = (nuint)(data.Length - sent) };
                var header = new MessageHeader { Vectors = &vector, VectorCount = 1 };
                if (attach)
                {
                    new Span<byte>(control, ControlHeaderSize + 8).Clear();
                    *(ulong*)control = ControlHeaderSize + sizeof(int); // CMSG_LEN(sizeof(int))
                    *(int*)(control + 8) = SolSocket;
                    *(int*)(control + 12) = ScmRights;
                    *(int*)(control + ControlHeaderSize) = descriptor;
                    header.Control = control;
                    header.ControlLength = ControlHeaderSize + 8; // CMSG_SPACE(sizeof(int))
                }

                nint written = SendMessage(socket, &header, MsgNoSignal);
                if (written < 0)
                {
                    int error = Marshal.GetLastPInvokeError();
                    if (error == LinuxInterop.EINTR)
                    {
                        continue;
                    }

                    if (error != LinuxInterop.EAGAIN)
                    {
                        return error;
                    }

                    long left = deadline - Environment.TickCount64;
                    if (left <= 0 || Poll(socket, PollOut, (int)left) < 0)
                    {
                        return LinuxInterop.ETIMEDOUT;
                    }

                    continue;
                }

                attach = false; // the kernel took the descriptor with the first bytes
                sent += (int)written;
            }
        }

        return 0;
    }

    /// <summary>
    /// Waits at most <paramref name="timeoutMilliseconds"/> for bytes, then receives up to <paramref name="buffer"/>'s
    /// length; the descriptors that came with them are added to <paramref name="descriptors"/> (the caller owns and
    /// closes them). <paramref name="truncated"/>: the peer sent more descriptors than one receive takes (the kernel
    /// closed the rest): a violation.
    /// </summary>
    internal static ReceiveStatus Receive(int socket, Span<byte> buffer, List<int> descriptors, int timeoutMilliseconds, out int count, out bool truncated, out int error)
    {
        count = 0;
        truncated = false;
        error = 0;
        int ready = Poll(socket, PollIn, timeoutMilliseconds);
        if (ready == 0)
        {
            return ReceiveStatus.TimedOut;
        }

        const int ControlSpace = ControlHeaderSize + (MaxDescriptorsPerReceive * sizeof(int));
        byte* control = stackalloc byte[ControlSpace];
        new Span<byte>(control, ControlSpace).Clear();
        fixed (byte* start = buffer)
        {
            var vector = new IoVector { Base = start, Length = (nuint)buffer.Length };
            var header = new MessageHeader { Vectors = &vector, VectorCount = 1, Control = control, ControlLength = ControlSpace };
            nint received;
            do
            {
                received = ReceiveMessage(socket, &header, MsgCmsgCloseOnExec);
            }
            while (received < 0 && Marshal.GetLastPInvokeError() == LinuxInterop.EINTR);

            if (received < 0)
            {
                error = Marshal.GetLastPInvokeError();
                return error == LinuxInterop.EAGAIN ? ReceiveStatus.TimedOut : ReceiveStatus.Failed;
            }

            // Walk the control messages (CMSG_FIRSTHDR/CMSG_NXTHDR) and keep every descriptor, even unexpected ones, so
            // that the caller can close them.
            byte* cursor = control;
            byte* end = control + (long)header.ControlLength;
            while (cursor + ControlHeaderSize <= end)
            {
                ulong length = *(ulong*)cursor;
                if (length < ControlHeaderSize || cursor + (long)length > end)
                {
                    break;
                }

                if (*(int*)(cursor + 8) == SolSocket && *(int*)(cursor + 12) == ScmRights)
                {
                    int n = (int)((length - ControlHeaderSize) / sizeof(int));
                    for (int i = 0; i < n; i++)
                    {
                        descriptors.Add(*(int*)(cursor + ControlHeaderSize + (i * sizeof(int))));
                    }
                }

                cursor += (long)((length + 7) & ~7UL);
            }

            truncated = (header.Flags & MsgControlTruncated) != 0;
            count = (int)received;
            return received == 0 ? ReceiveStatus.Closed : ReceiveStatus.Data;
        }
    }

    /// <summary><c>shutdown(fd, SHUT_RDWR)</c>: wakes a receive blocked on the socket (it sees the end of the stream).</summary>
    internal static void ShutDown(int socket) => _ = Shutdown(socket, ShutdownBoth);

    /// <summary><c>poll(2)</c> of one descriptor: 1 ready (or hung up), 0 timed out, -1 failed.</summary>
    private static int Poll(int fd, short events, int timeoutMilliseconds)
    {
        var entry = new PollEntry { Descriptor = fd, Events = events };
        while (true)
        {
            int result = PollImport(&entry, 1, timeoutMilliseconds);
            if (result >= 0 || Marshal.GetLastPInvokeError() != LinuxInterop.EINTR)
            {
                return result;
            }
        }
    }

    [LibraryImport(LibC, EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMessage(int socket, MessageHeader* message, int flags);

    [LibraryImport(LibC, EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint ReceiveMessage(int socket, MessageHeader* message, int flags);

    [LibraryImport(LibC, EntryPoint = "poll", SetLastError = true)]
    private static partial int PollImport(PollEntry* entries, nuint count, int timeoutMilliseconds);

    [LibraryImport(LibC, EntryPoint = "shutdown", SetLastError = true)]
    private static partial int Shutdown(int socket, int how);

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollEntry
    {
        public int Descriptor;
        public short Events;
        public short ReturnedEvents;
    }
}
