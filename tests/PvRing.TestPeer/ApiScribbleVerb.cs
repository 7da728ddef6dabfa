// Licensed under the MIT License. See LICENSE in the repository root.

using System.IO.MemoryMappedFiles;
using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.TestPeer;

/// <summary>
/// <c>api-scribble NAME HOST</c>: a hostile application-API front. Once connected it overwrites, with 0xFF, every byte of
/// the listener's event page it was handed (the memfd it received as <c>evtchn-0</c>: header, bitmaps, port table), prints
/// <c>scribbled N</c> (the pages written) and holds the connection until killed (at most 60 s). What it shows: whether one
/// front can break the listener for the fronts that come after it.
/// </summary>
internal sealed class ApiScribbleVerb : IPeerVerb
{
    public string Name => "api-scribble";

    public int Run(string[] args) => RunAsync(args[0], new HostDirectory(args[1])).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string name, HostDirectory host)
    {
        await using PvRingConnection connection = await PvRingConnection.ConnectAsync(name, new() { Host = host });
        int pages = 0;
        foreach (string fd in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue;
            }

            // The listener's page is domain 0's: its memfd is named after the listener's name for it (evtchn-0...).
            if (target is null || !target.StartsWith("/memfd:pvring:evtchn-0", StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = new FileStream(fd, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            using MemoryMappedFile file = MemoryMappedFile.CreateFromFile(stream, null, stream.Length, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            using MemoryMappedViewAccessor view = file.CreateViewAccessor(0, stream.Length, MemoryMappedFileAccess.ReadWrite);
            for (long offset = 0; offset < stream.Length; offset += 8)
            {
                view.Write(offset, ulong.MaxValue);
            }

            pages++;
        }

        Console.WriteLine($"scribbled {pages}");
        Thread.Sleep(TimeSpan.FromSeconds(60)); // hold the connection (and its memory) while the next front connects
        return pages > 0 ? 0 : 1;
    }
}
