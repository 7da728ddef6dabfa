// Licensed under the MIT License. See LICENSE in the repository root.

using System.Text.RegularExpressions;
using PvRing.Tests.Infrastructure;
using PvRing.Events;
using PvRing.TestPeer;
using PvRing.Transport;

namespace PvRing.Tests.Connections;

/// <summary>
/// The application API's memory is sealed memfds passed by descriptor: a peer that tries to truncate it gets EPERM and
/// the survivor goes on; the name's directory holds only the two sockets while connected; a SIGKILLed end leaves nothing
/// to clean, and a new peer connects.
/// </summary>
public sealed partial class PvRingSealedMemoryTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(60);
    private static readonly string[] s_sockets = ["memory.sock", "xenstored.sock"];

    [Fact]
    public async Task LiveConnection_DirectoryHoldsOnlyTheSockets_MemoryIsSealedMemfds()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("live", new() { Host = host.Host });
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("live", new() { Host = host.Host, Wants = NetDeviceFeatures.All with { GrantModes = NetGrantModes.DeferredUnmap } });
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        await using PvRingConnection front = await connecting.WaitAsync(s_bound);
        await front.SendAsync(new byte[] { 1, 2, 3 });
        Assert.Equal(3, await back.ReceiveAsync(new byte[16]).AsTask().WaitAsync(s_bound));

        Assert.Equal(s_sockets, Entries(Path.Combine(host.Path, "live")));
        string[] memfds = Memfds();
        foreach (string name in new[] { "arena-1", "gnttab-1", "evtchn-1", "evtchn-0", "gntflush-1-0" })
        {
            Assert.Contains($"/memfd:pvring:{name} (deleted)", memfds);
        }
    }

    [Theory]
    [InlineData("connect")]
    [InlineData("listen")]
    public async Task HostilePeer_TruncatesEveryMemfd_EpermAndTheSurvivorGoesOn(string hostileRole)
    {
        const int Count = 3000;
        using var host = new TempHost();
        PvRingListener? listener = hostileRole == "connect" ? await PvRingListener.StartAsync("trunc", new() { Host = host.Host }) : null;
        using ChildProcess peer = ChildProcess.StartPeer("api-truncate", hostileRole, "trunc", host.Path, Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            await using PvRingConnection survivor = listener is not null
                ? await listener.AcceptAsync().AsTask().WaitAsync(s_bound)
                : await PvRingConnection.ConnectAsync("trunc", new() { Host = host.Host, ConnectTimeout = s_bound }).WaitAsync(s_bound);
            await ExchangeAsync(survivor, Count).WaitAsync(s_bound);
            peer.AssertExit(0, s_bound);
        }
        finally
        {
            if (listener is not null)
            {
                await listener.DisposeAsync();
            }
        }

        Match counts = MemfdCounts().Match(peer.Output);
        Assert.True(counts.Success, peer.Output);
        int found = int.Parse(counts.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(found >= 4, $"the hostile peer found {found} memfds (its arena, grant table and event page, and the peer's event page at least):\n{peer.Output}");
        Assert.Equal(counts.Groups[1].Value, counts.Groups[2].Value);
        Assert.DoesNotContain("errno=0", peer.Output, StringComparison.Ordinal);
        Assert.Contains($"{hostileRole}: {Count} packets each way, every one checked", peer.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FrontKilled_NothingLeftToClean_ANewFrontConnects()
    {
        using var host = new TempHost();
        string directory = Path.Combine(host.Path, "killfront");
        await using PvRingListener listener = await PvRingListener.StartAsync("killfront", new() { Host = host.Host });
        using (ChildProcess peer = ChildProcess.StartPeer("api-hold", "killfront", host.Path))
        {
            await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
            Assert.True(SpinWait.SpinUntil(() => peer.Output.Contains("connected") || peer.HasExited, s_bound), peer.Output);
            ValueTask<int> receiving = back.ReceiveAsync(new byte[16]);
            peer.Kill();
            Exception? ended = await Record.ExceptionAsync(async () => await receiving.AsTask().WaitAsync(s_bound));
            Assert.True(ended is PeerGoneException || (ended is null && back.IsPeerGone), $"ended with {ended?.GetType().Name ?? "a result"}");

            // The survivor still holds the dead front's connection: yet no file of it is there to clean.
            Assert.Equal(s_sockets, Entries(directory));
        }

        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("killfront", new() { Host = host.Host });
        await using PvRingConnection back2 = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        await using PvRingConnection front2 = await connecting.WaitAsync(s_bound);
        await RoundTripAsync(front2, back2);
        Assert.Equal(s_sockets, Entries(directory));
    }

    [Fact]
    public async Task ListenerKilled_NothingButItsSocketsLeft_ANewListenerServesANewFront()
    {
        using var host = new TempHost();
        string directory = Path.Combine(host.Path, "killlisten");
        using (ChildProcess peer = ChildProcess.StartPeer("api-listen-hold", "killlisten", host.Path))
        {
            await using PvRingConnection front = await PvRingConnection.ConnectAsync("killlisten", new() { Host = host.Host, ConnectTimeout = s_bound }).WaitAsync(s_bound);
            Assert.True(SpinWait.SpinUntil(() => peer.Output.Contains("accepted") || peer.HasExited, s_bound), peer.Output);
            ValueTask<int> receiving = front.ReceiveAsync(new byte[16]);
            peer.Kill();
            Exception? ended = await Record.ExceptionAsync(async () => await receiving.AsTask().WaitAsync(s_bound));
            Assert.True(ended is PvRingException || (ended is null && front.IsPeerGone), $"ended with {ended?.GetType().Name ?? "a result"}");

            // No memory file of either end: only the dead listener's sockets, which the next listener replaces.
            Assert.Empty(Entries(directory).Except(s_sockets));
        }

        await using PvRingListener listener = await PvRingListener.StartAsync("killlisten", new() { Host = host.Host });
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("killlisten", new() { Host = host.Host });
        await using PvRingConnection back2 = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        await using PvRingConnection front2 = await connecting.WaitAsync(s_bound);
        await RoundTripAsync(front2, back2);
    }

    private static string[] Entries(string directory) =>
        [.. Directory.GetFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    private static string[] Memfds() =>
        [.. Directory.GetFileSystemEntries("/proc/self/fd").Select(Target).Where(t => t is not null && t.StartsWith("/memfd:", StringComparison.Ordinal))!];

    private static string? Target(string entry)
    {
        try
        {
            return new FileInfo(entry).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task RoundTripAsync(PvRingConnection front, PvRingConnection back)
    {
        var buffer = new byte[16];
        await front.SendAsync(new byte[] { 4, 5 });
        Assert.Equal(2, await back.ReceiveAsync(buffer).AsTask().WaitAsync(s_bound));
        await back.SendAsync(new byte[] { 6 });
        Assert.Equal(1, await front.ReceiveAsync(buffer).AsTask().WaitAsync(s_bound));
    }

    private static async Task ExchangeAsync(PvRingConnection connection, int count)
    {
        Task sending = Task.Run(async () =>
        {
            for (long i = 0; i < count; i++)
            {
                await connection.SendAsync(ApiPackets.Make(i));
            }
        });
        var buffer = new byte[ApiPackets.MaxSize];
        for (long i = 0; i < count; i++)
        {
            ApiPackets.Check(buffer.AsSpan(0, await connection.ReceiveAsync(buffer)), i);
        }

        await sending;
    }

    [GeneratedRegex(@"memfds=(\d+) refused=(\d+)")]
    private static partial Regex MemfdCounts();
}
