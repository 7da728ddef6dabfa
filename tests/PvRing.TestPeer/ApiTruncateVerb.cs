// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.TestPeer;

/// <summary>
/// <c>api-truncate connect|listen NAME HOST COUNT</c>: a hostile end of an application-API connection. Once connected
/// (as the front end, or as the listener once it accepted one), it tries to shrink (to 0) and grow (by a page) every
/// PvRing memfd in this process, its own and those the peer sent, printing each <c>ftruncate</c>'s errno and
/// <c>memfds=N refused=M</c>; then it sends and receives COUNT checked packets (<see cref="ApiPackets"/>) as if nothing
/// had happened. Exits 0 when the exchange completed.
/// </summary>
internal sealed class ApiTruncateVerb : IPeerVerb
{
    public string Name => "api-truncate";

    public int Run(string[] args) =>
        RunAsync(args[0], args[1], new HostDirectory(args[2]), long.Parse(args[3], CultureInfo.InvariantCulture)).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string role, string name, HostDirectory host, long count)
    {
        PvRingListener? listener = null;
        PvRingConnection connection;
        if (role == "listen")
        {
            listener = await PvRingListener.StartAsync(name, new() { Host = host });
            Console.WriteLine("listening");
            connection = await listener.AcceptAsync();
        }
        else
        {
            connection = await PvRingConnection.ConnectAsync(name, new() { Host = host });
        }

        try
        {
            TruncateEveryMemfd();
            Task sending = Task.Run(async () =>
            {
                for (long i = 0; i < count; i++)
                {
                    await connection.SendAsync(ApiPackets.Make(i));
                }
            });
            var buffer = new byte[ApiPackets.MaxSize];
            for (long i = 0; i < count; i++)
            {
                ApiPackets.Check(buffer.AsSpan(0, await connection.ReceiveAsync(buffer)), i);
            }

            await sending;
            Console.WriteLine($"{role}: {count} packets each way, every one checked");
            return 0;
        }
        finally
        {
            await connection.DisposeAsync();
            if (listener is not null)
            {
                await listener.DisposeAsync();
            }
        }
    }

    private static void TruncateEveryMemfd()
    {
        int found = 0;
        int refused = 0;
        foreach (string entry in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(entry).LinkTarget;
            }
            catch (IOException)
            {
                continue;
            }

            if (target is null || !target.StartsWith("/memfd:pvring:", StringComparison.Ordinal)
                || !int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int fd))
            {
                continue;
            }

            long size = RandomAccess.GetLength(new SafeFileHandle(fd, ownsHandle: false));
            int shrink = Ftruncate(fd, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
            int grow = Ftruncate(fd, size + 4096) == 0 ? 0 : Marshal.GetLastPInvokeError();
            found++;
            refused += shrink == 1 && grow == 1 ? 1 : 0; // EPERM
            Console.WriteLine($"truncate fd={fd} {target} size={size}: shrink errno={shrink}, grow errno={grow}");
        }

        Console.WriteLine($"memfds={found} refused={refused}");
    }

    [DllImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static extern int Ftruncate(int fd, long length);
}
