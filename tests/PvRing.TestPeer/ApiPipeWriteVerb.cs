// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.IO.Pipelines;
using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.TestPeer;

/// <summary>
/// <c>api-pipe-write NAME HOST BYTES</c>: connects, writes BYTES of the pattern byte i = (byte)(i % 251) through
/// <see cref="PvRingConnection.Pipe"/>, flushes, prints "written", then waits (at most 60 s) to be killed.
/// </summary>
internal sealed class ApiPipeWriteVerb : IPeerVerb
{
    public string Name => "api-pipe-write";

    public int Run(string[] args) => RunAsync(args[0], new HostDirectory(args[1]), int.Parse(args[2], CultureInfo.InvariantCulture)).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string name, HostDirectory host, int bytes)
    {
        await using PvRingConnection connection = await PvRingConnection.ConnectAsync(name, new() { Host = host });
        PipeWriter output = connection.Pipe.Output;
        var data = new byte[bytes];
        for (int i = 0; i < bytes; i++)
        {
            data[i] = (byte)(i % 251);
        }

        _ = await output.WriteAsync(data);
        Console.WriteLine("written");
        await Task.Delay(TimeSpan.FromSeconds(60));
        return 1;
    }
}
