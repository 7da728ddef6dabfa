// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.Harness;

/// <summary>
/// <c>apiqueues-peer HOST NAME QUEUES SECONDS SIZE CPUS</c>: the sending front of <c>apiqueues</c>, one pinned worker per
/// queue; CPUS is <c>spread</c> (the front's spread over the CPUs it may use) or a comma-separated list.
/// </summary>
internal sealed class ApiQueuesPeerCommand : IHarnessCommand
{
    public string Name => "apiqueues-peer";

    public string Summary => "(internal) the sending side of apiqueues";

    public int Run(string[] args) => RunAsync(
        new HostDirectory(args[0]), args[1], int.Parse(args[2], CultureInfo.InvariantCulture),
        double.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture), args[5]).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(HostDirectory host, string name, int queues, double seconds, int size, string cpus)
    {
        var options = new PvRingConnectionOptions
        {
            Host = host,
            Wants = PvRingConnectionOptions.DefaultWants with { Queues = queues },
            QueuePlacement = PvRingQueuePlacement.Spread,
            QueueCpus = cpus == "spread" ? null : [.. cpus.Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))],
        };
        await using PvRingConnection connection = await PvRingConnection.ConnectAsync(name, options);
        long end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        await connection.RunWorkers((queue, _) =>
        {
            var packet = new byte[size];
            while (Stopwatch.GetTimestamp() < end)
            {
                for (int i = 0; i < 64; i++)
                {
                    if (!queue.TrySend(packet))
                    {
                        Thread.Yield();
                        break;
                    }
                }
            }
        });
        Console.WriteLine($"front: {connection.Placement}");
        return 0;
    }
}
