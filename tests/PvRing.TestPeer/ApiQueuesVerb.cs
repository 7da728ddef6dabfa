// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.TestPeer;

/// <summary>
/// <c>api-queues NAME HOST QUEUES MODE COUNT</c>: connects wanting QUEUES queues and grant mode MODE, its workers spread
/// over the CPUs, runs the <see cref="QueueExchange"/> (COUNT packets each way on every queue), prints what it agreed, and
/// exits 0.
/// </summary>
internal sealed class ApiQueuesVerb : IPeerVerb
{
    public string Name => "api-queues";

    public int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        int queues = int.Parse(args[2], CultureInfo.InvariantCulture);
        NetGrantModes mode = NetGrantModesExtensions.Parse(args[3]);
        long count = long.Parse(args[4], CultureInfo.InvariantCulture);
        var options = new PvRingConnectionOptions
        {
            Host = new HostDirectory(args[1]),
            Wants = PvRingConnectionOptions.DefaultWants with { Queues = queues, GrantModes = mode },
            QueuePlacement = PvRingQueuePlacement.Spread,
        };
        await using PvRingConnection connection = await PvRingConnection.ConnectAsync(args[0], options);
        Console.WriteLine($"front: negotiated {connection.Features}; {connection.Placement}");
        long[] received = QueueExchange.Run(connection, count, TimeSpan.FromSeconds(90));
        Console.WriteLine($"front: {string.Join(',', received)} packets received per queue, every one checked");
        return 0;
    }
}
