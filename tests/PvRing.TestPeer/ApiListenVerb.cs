// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.TestPeer;

/// <summary><c>api-listen NAME HOST COUNT</c>: the README's listening side, as it is there: COUNT packets each way.</summary>
internal sealed class ApiListenVerb : IPeerVerb
{
    public string Name => "api-listen";

    public int Run(string[] args) => RunAsync(args[0], new HostDirectory(args[1]), long.Parse(args[2], CultureInfo.InvariantCulture)).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string name, HostDirectory host, long count)
    {
        // The ten lines of the example (README "Using the library").
        await using PvRingListener listener = await PvRingListener.StartAsync(name, new() { Host = host });
        Console.WriteLine("listening");
        await using PvRingConnection connection = await listener.AcceptAsync();
        Task sending = Task.Run(async () => { for (long i = 0; i < count; i++) { await connection.SendAsync(ApiPackets.Make(i)); } });
        var buffer = new byte[65535];
        for (long i = 0; i < count; i++) { ApiPackets.Check(buffer.AsSpan(0, await connection.ReceiveAsync(buffer)), i); }
        await sending;
        Console.WriteLine($"listener: {count} packets each way, every one checked; negotiated {connection.Features}");
        return 0;
    }
}
