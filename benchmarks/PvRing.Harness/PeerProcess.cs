// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;

namespace PvRing.Harness;

/// <summary>
/// The one way the harness starts the other side of a measurement: a copy of itself running a hidden peer command,
/// pinned with taskset, and the one ready handshake (the peer prints <c>ready</c> on its standard output once it is
/// attached, <see cref="SignalReady"/>; the harness waits for that line, <see cref="WaitReady"/>). Works from
/// <c>dotnet PvRing.Harness.dll</c> and from a self-contained build (the apphost itself is started then).
/// </summary>
internal static class PeerProcess
{
    private const string ReadyLine = "ready";

    /// <summary>Starts <c>PvRing.Harness <paramref name="command"/> <paramref name="arguments"/></c> pinned to <paramref name="cpu"/>.</summary>
    public static Process Start(int cpu, string command, params string[] arguments)
    {
        string self = Environment.ProcessPath ?? "dotnet";
        bool host = Path.GetFileNameWithoutExtension(self) == "dotnet";
        return host
            ? Measurement.Start(cpu, self, [typeof(PeerProcess).Assembly.Location, command, .. arguments])
            : Measurement.Start(cpu, self, [command, .. arguments]);
    }

    /// <summary>The peer's half of the handshake: everything it needs is attached; the harness may start timing.</summary>
    public static void SignalReady()
    {
        Console.WriteLine(ReadyLine);
        Console.Out.Flush();
    }

    /// <summary>Waits (bounded) for the peer's <c>ready</c> line; fails with what the peer said otherwise.</summary>
    public static void WaitReady(Process peer, string what, TimeSpan timeout)
    {
        Task<string?> line = peer.StandardOutput.ReadLineAsync();
        if (!line.Wait(timeout) || line.Result != ReadyLine)
        {
            Measurement.Abandon(peer, what);
            throw new InvalidOperationException($"{what} did not get ready within {timeout.TotalSeconds:0} s (it said '{(line.IsCompleted ? line.Result : null)}')");
        }
    }
}
