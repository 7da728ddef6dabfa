// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Memory;
using PvRing.Store;

namespace PvRing.Harness;

/// <summary>
/// <c>store-abuse-server DIR</c>: the store that <see cref="StoreAbuseCommand"/> abuses, alone in its process so that its
/// memory is the store's own. Serves <c>DIR/xenstored.sock</c> with the default limits and answers its standard input:
/// <c>measure</c> prints <c>rss_kb=N heap_kb=N rss_after_gc_kb=N heap_after_gc_kb=N</c> (resident memory from
/// <c>/proc/self/status</c>, the GC heap, before and after a full compacting collection); <c>quit</c> ends it.
/// </summary>
internal sealed class StoreAbuseServerCommand : IHarnessCommand
{
    public string Name => "store-abuse-server";

    public string Summary => "(internal) the store side of store-abuse";

    public int Run(string[] args)
    {
        var host = new HostDirectory(args[0]);
        using XenStoreServer server = XenStoreServer.Start(new XenStoreServerOptions { SocketPath = host.GetFilePath(XenStoreServer.DefaultSocketName) });
        PeerProcess.SignalReady();
        while (Console.In.ReadLine() is string line && line != "quit")
        {
            if (line == "measure")
            {
                long rss = ResidentKilobytes();
                long heap = GC.GetTotalMemory(forceFullCollection: false) / 1024;
                GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"rss_kb={rss} heap_kb={heap} rss_after_gc_kb={ResidentKilobytes()} heap_after_gc_kb={GC.GetTotalMemory(forceFullCollection: false) / 1024}"));
                Console.Out.Flush();
            }
        }

        return 0;
    }

    private static long ResidentKilobytes()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }
}
