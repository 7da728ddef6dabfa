// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Globalization;
using PvRing.Memory;
using PvRing.Store;

namespace PvRing.Harness;

/// <summary>
/// <c>store-ops [--seconds N] [--socket PATH]</c>: store operations per second from one client, for WRITE and
/// READ, one request in flight (latency-bound) and 16 in flight (pipelined on the one connection). Without
/// --socket it starts an embedded store in a fresh private directory.
/// </summary>
internal sealed class StoreOpsCommand : IHarnessCommand
{
    public string Name => "store-ops";

    public string Summary => "xenstore READ/WRITE operations per second from one client";

    public int Run(string[] args)
    {
        double seconds = 2;
        string? socket = null;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--seconds" when double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0:
                    seconds = s;
                    break;
                case "--socket":
                    socket = args[i + 1];
                    break;
                default:
                    Console.Error.WriteLine("usage: store-ops [--seconds N] [--socket PATH]");
                    return 64;
            }
        }

        return RunAsync(TimeSpan.FromSeconds(seconds), socket).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(TimeSpan duration, string? socket)
    {
        string? directory = null;
        XenStoreServer? server = null;
        if (socket is null)
        {
            directory = Path.Combine(Path.GetTempPath(), "pvring-store-ops-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            socket = new HostDirectory(directory).GetFilePath(XenStoreServer.DefaultSocketName);
            server = XenStoreServer.Start(new XenStoreServerOptions { SocketPath = socket });
        }

        try
        {
            await using XenStoreClient client = await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket });
            await client.WriteAsync("/bench/key", "0123456789abcdef");
            Console.WriteLine($"store-ops: {(server is null ? "external store " + socket : "embedded store")}, one client, {duration.TotalSeconds:0.#} s per row, 16-byte value");
            Console.WriteLine($"{"operation",-10} {"in flight",9} {"ops/s",12} {"us/op",8}");
            foreach (bool write in new[] { true, false })
            {
                foreach (int inFlight in new[] { 1, 16 })
                {
                    // A short warm-up so the JIT and the socket buffers are settled before timing.
                    await MeasureAsync(client, write, inFlight, TimeSpan.FromMilliseconds(200));
                    (long ops, TimeSpan elapsed) = await MeasureAsync(client, write, inFlight, duration);
                    double rate = ops / elapsed.TotalSeconds;
                    Console.WriteLine($"{(write ? "WRITE" : "READ"),-10} {inFlight,9} {rate,12:N0} {1e6 / rate * inFlight,8:0.0}");
                }
            }
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
                Directory.Delete(directory!, recursive: true);
            }
        }

        return 0;
    }

    private static async Task<(long Operations, TimeSpan Elapsed)> MeasureAsync(XenStoreClient client, bool write, int inFlight, TimeSpan duration)
    {
        long operations = 0;
        var clock = Stopwatch.StartNew();
        Task[] workers = new Task[inFlight];
        for (int w = 0; w < inFlight; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                while (clock.Elapsed < duration)
                {
                    if (write)
                    {
                        await client.WriteAsync("/bench/key", "0123456789abcdef");
                    }
                    else
                    {
                        await client.ReadAsync("/bench/key");
                    }

                    Interlocked.Increment(ref operations);
                }
            });
        }

        await Task.WhenAll(workers);
        return (operations, clock.Elapsed);
    }
}
