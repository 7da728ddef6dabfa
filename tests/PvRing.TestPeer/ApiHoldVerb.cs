// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.TestPeer;

/// <summary><c>api-hold NAME HOST</c>: connects, prints "connected", then waits (at most 60 s) to be killed, reading nothing.</summary>
internal sealed class ApiHoldVerb : IPeerVerb
{
    public string Name => "api-hold";

    public int Run(string[] args) => RunAsync(args[0], new HostDirectory(args[1])).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string name, HostDirectory host)
    {
        await using PvRingConnection connection = await PvRingConnection.ConnectAsync(name, new() { Host = host });
        Console.WriteLine("connected");
        await Task.Delay(TimeSpan.FromSeconds(60));
        return 1;
    }
}
