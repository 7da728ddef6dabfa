// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;
using PvRing.Store;

namespace PvRing.TestPeer;

/// <summary>
/// <c>bad-choice-front SOCKET KEY VALUE</c>: the front end of vif/1/0 (domain 1) that, once the back end waits in
/// InitWait, writes the choice KEY=VALUE (such as <c>ring-page-order=9</c>) and Initialised in one transaction, as a
/// hostile or broken front would, and nothing else. Prints the back end's <c>error</c> node once it goes to Closing; exits
/// 0 if it did within 30 seconds.
/// </summary>
internal sealed class BadChoiceFrontVerb : IPeerVerb
{
    public string Name => "bad-choice-front";

    public int Run(string[] args)
    {
        if (args.Length != 3)
        {
            Console.Error.WriteLine("usage: bad-choice-front SOCKET KEY VALUE");
            return 64;
        }

        return RunAsync(args[0], args[1], args[2]).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string socket, string key, string value)
    {
        using var lifetime = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using XenStoreClient store = await ConnectAsync(socket, lifetime.Token);
        var device = new XenBusDevice("vif", 1, 0, 0);
        await WaitForBackStateAsync(store, device, "2", lifetime.Token); // InitWait: its offers are written
        await store.RunTransactionAsync(async (t, token) =>
        {
            await t.WriteAsync($"{device.FrontendPath}/{key}", value, token);
            await t.WriteAsync($"{device.FrontendPath}/state", "3", token);
            return true;
        }, lifetime.Token);
        Console.Out.WriteLine($"wrote {key}={value}");
        await WaitForBackStateAsync(store, device, "5", lifetime.Token); // Closing
        string? error = await store.TryReadAsync(device.BackendPath + "/error", lifetime.Token);
        Console.Out.WriteLine($"back end error: {error}");
        return 0;
    }

    private static async Task WaitForBackStateAsync(XenStoreClient store, XenBusDevice device, string state, CancellationToken cancellationToken)
    {
        string path = device.BackendPath + "/state";
        await foreach (XenStoreWatchEvent _ in store.WatchAsync(path, cancellationToken))
        {
            if (await store.TryReadAsync(path, cancellationToken) == state)
            {
                return;
            }
        }
    }

    private static async Task<XenStoreClient> ConnectAsync(string socket, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket, DomainId = 1 }, cancellationToken);
            }
            catch (Exception e) when (e is PvRingException or System.Net.Sockets.SocketException or IOException)
            {
                // The back end's process hosts the store and may not listen yet.
                await Task.Delay(50, cancellationToken);
            }
        }
    }
}
