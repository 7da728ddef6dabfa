// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Store;

namespace PvRing.TestPeer;

/// <summary>
/// <c>store-domain SOCKET DOMID</c>: joins the store as domain DOMID, writes <c>alive</c> in its home, prints
/// "ready", then stays connected until its <c>stop</c> key is written or 60 seconds pass. The tests kill it
/// to check that the store fires <c>@releaseDomain</c>.
/// </summary>
internal sealed class StoreDomainVerb : IPeerVerb
{
    public string Name => "store-domain";

    public int Run(string[] args)
    {
        if (args.Length != 2 || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out int domain))
        {
            Console.Error.WriteLine("usage: store-domain SOCKET DOMID");
            return 64;
        }

        return RunAsync(args[0], domain).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string socket, int domain)
    {
        using var lifetime = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using XenStoreClient client = await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket, DomainId = domain }, lifetime.Token);
        await client.WriteAsync("alive", "1", lifetime.Token);
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        await foreach (XenStoreWatchEvent e in client.WatchAsync("stop", lifetime.Token))
        {
            if (await client.ExistsAsync("stop", lifetime.Token))
            {
                return 0;
            }
        }

        return 1;
    }
}
