// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.TestPeer;

/// <summary><c>api-listen-hold NAME HOST</c>: listens, accepts one front end, prints "accepted", then waits (at most 60 s) to be killed.</summary>
internal sealed class ApiListenHoldVerb : IPeerVerb
{
    public string Name => "api-listen-hold";

    public int Run(string[] args) => RunAsync(args[0], new HostDirectory(args[1])).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string name, HostDirectory host)
    {
        await using PvRingListener listener = await PvRingListener.StartAsync(name, new() { Host = host });
        Console.WriteLine("listening");
        await using PvRingConnection connection = await listener.AcceptAsync();
        Console.WriteLine("accepted");
        await Task.Delay(TimeSpan.FromSeconds(60));
        return 1;
    }
}
