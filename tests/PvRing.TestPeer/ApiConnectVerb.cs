// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.TestPeer;

/// <summary><c>api-connect NAME HOST COUNT</c>: the README's connecting side, as it is there: COUNT packets each way.</summary>
internal sealed class ApiConnectVerb : IPeerVerb
{
    public string Name => "api-connect";

    public int Run(string[] args) => RunAsync(args[0], new HostDirectory(args[1]), long.Parse(args[2], CultureInfo.InvariantCulture)).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string name, HostDirectory host, long count)
    {
        // The ten lines of the example (README "Using the library").
        await using PvRingConnection connection = await PvRingConnection.ConnectAsync(name, new() { Host = host });
        Task sending = Task.Run(async () => { for (long i = 0; i < count; i++) { await connection.SendAsync(ApiPackets.Make(i)); } });
        var buffer = new byte[65535];
        for (long i = 0; i < count; i++) { ApiPackets.Check(buffer.AsSpan(0, await connection.ReceiveAsync(buffer)), i); }
        await sending;
        Console.WriteLine($"front: {count} packets each way, every one checked; negotiated {connection.Features}");
        return 0;
    }
}
