// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PvRing.Platform;

/// <summary>What the store needs from Linux: the peer process of a Unix socket and whether it still lives.</summary>
internal static partial class StoreInterop
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;
    private const int Esrch = 3;

    /// <summary>
    /// The pid of the process at the other end of a connected Unix socket (<c>SO_PEERCRED</c>,
    /// <c>struct ucred { pid_t pid; uid_t uid; gid_t gid; }</c>), or 0 where that is not available.
    /// </summary>
    internal static int GetPeerProcessId(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        Span<byte> credentials = stackalloc byte[12];
        try
        {
            int length = socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials);
            return length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(credentials) : 0;
        }
        catch (SocketException)
        {
            return 0;
        }
    }

    /// <summary>Whether process <paramref name="pid"/> exists: <c>kill(pid, 0)</c> fails with ESRCH only when it does not.</summary>
    internal static bool IsProcessAlive(int pid)
    {
        if (pid <= 0 || !OperatingSystem.IsLinux())
        {
            return true;
        }

        return Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() != Esrch;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
