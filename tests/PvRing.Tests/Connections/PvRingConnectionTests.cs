// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Events;
using PvRing.Store;
using PvRing.Transport;

namespace PvRing.Tests.Connections;

/// <summary>The application API: meet by name, bytes both ways, back-pressure, buffers too small, cancellation, close.</summary>
public sealed class PvRingConnectionTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TenLinePrograms_TwoProcesses_100000RandomPacketsEachWayChecked()
    {
        using var host = new TempHost();

        // The connecting side starts first: it waits for the listener.
        using ChildProcess front = ChildProcess.StartPeer("api-connect", "demo", host.Path, "100000");
        using ChildProcess back = ChildProcess.StartPeer("api-listen", "demo", host.Path, "100000");
        back.AssertExit(0, TimeSpan.FromSeconds(120));
        front.AssertExit(0, TimeSpan.FromSeconds(120));
        Assert.Contains("100000 packets each way, every one checked", back.Output);
        Assert.Contains("grant-mode=persistent", front.Output);

        // Every file of both ends is gone; the name's directory is private.
        string directory = Path.Combine(host.Path, "demo");
        Assert.Empty(Directory.GetFileSystemEntries(directory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task ConnectAsync_NoListener_TimesOutClearly()
    {
        using var host = new TempHost();
        var options = new PvRingConnectionOptions { Host = host.Host, ConnectTimeout = TimeSpan.FromMilliseconds(300) };
        TimeoutException e = await Assert.ThrowsAsync<TimeoutException>(() => PvRingConnection.ConnectAsync("nobody", options));
        Assert.Contains("No PvRing listener named 'nobody'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_NameAlreadyListening_Refused()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("once", new() { Host = host.Host });
        PvRingException e = await Assert.ThrowsAsync<PvRingException>(() => PvRingListener.StartAsync("once", new() { Host = host.Host }));
        Assert.Contains("already running", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReceiveAsync_BufferTooSmall_ClearErrorAndThePacketStays()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("small", new() { Host = host.Host });
        (PvRingConnection front, PvRingConnection back) = await PairAsync(listener, host, "small");
        await using (front)
        await using (back)
        {
            byte[] packet = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();
            await front.SendAsync(packet);
            var small = new byte[100];
            ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(async () => await back.ReceiveAsync(small));
            Assert.Contains("3000 bytes", e.Message, StringComparison.Ordinal);
            var large = new byte[4096];
            int length = await back.ReceiveAsync(large).AsTask().WaitAsync(s_bound);
            Assert.Equal(packet, large[..length]);
        }
    }

    [Fact]
    public async Task AcceptAsync_SecondFrontWhileFirstConnected_BothWorkOnTheirOwnDevices()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("two", new() { Host = host.Host });
        (PvRingConnection front1, PvRingConnection back1) = await PairAsync(listener, host, "two");
        (PvRingConnection front2, PvRingConnection back2) = await PairAsync(listener, host, "two");
        await using (front1)
        await using (back1)
        await using (front2)
        await using (back2)
        {
            await front1.SendAsync(new byte[] { 1 });
            await front2.SendAsync(new byte[] { 2, 2 });
            await back2.SendAsync(new byte[] { 3, 3, 3 });
            var buffer = new byte[16];
            Assert.Equal(1, await back1.ReceiveAsync(buffer).AsTask().WaitAsync(s_bound));
            Assert.Equal(1, buffer[0]);
            Assert.Equal(2, await back2.ReceiveAsync(buffer).AsTask().WaitAsync(s_bound));
            Assert.Equal(3, await front2.ReceiveAsync(buffer).AsTask().WaitAsync(s_bound));
            Assert.False(front1.TryReceive(buffer, out int none));
            Assert.Equal(0, none);
        }
    }

    [Fact]
    public async Task ReceiveAndSend_Cancelled_ThrowAndTheConnectionStillWorks()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("cancel", new() { Host = host.Host });
        (PvRingConnection front, PvRingConnection back) = await PairAsync(listener, host, "cancel");
        await using (front)
        await using (back)
        {
            var buffer = new byte[65535];
            using (var cancel = new CancellationTokenSource())
            {
                ValueTask<int> receiving = back.ReceiveAsync(buffer, cancel.Token);
                Assert.False(receiving.IsCompleted);
                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receiving.AsTask().WaitAsync(s_bound));
            }

            // Fill the front's ring (nobody receives), then a waiting send is cancelled.
            var packet = new byte[60000];
            while (front.TrySend(packet))
            {
            }

            using (var cancel = new CancellationTokenSource())
            {
                ValueTask sending = front.SendAsync(packet, cancel.Token);
                Assert.False(sending.IsCompleted);
                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending.AsTask().WaitAsync(s_bound));
            }

            // Nothing was lost or duplicated by the cancelled calls.
            Assert.Equal(60000, await back.ReceiveAsync(buffer).AsTask().WaitAsync(s_bound));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task DisposeAsync_EitherSide_PeerReceivesWhatWasSentThenZero(bool frontCloses)
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("close", new() { Host = host.Host });
        (PvRingConnection front, PvRingConnection back) = await PairAsync(listener, host, "close");
        PvRingConnection closing = frontCloses ? front : back;
        PvRingConnection staying = frontCloses ? back : front;
        await using (staying)
        {
            await closing.SendAsync(new byte[] { 7, 7 });
            await closing.DisposeAsync();
            var buffer = new byte[16];
            Assert.Equal(2, await staying.ReceiveAsync(buffer).AsTask().WaitAsync(s_bound));
            Assert.Equal(0, await staying.ReceiveAsync(buffer).AsTask().WaitAsync(s_bound));
            Assert.True(staying.IsPeerGone);
            await Assert.ThrowsAsync<PvRingException>(async () => await staying.SendAsync(new byte[60000]).AsTask().WaitAsync(s_bound).ConfigureAwait(false));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DisposeAsync_HostDirectoryRemovedFirst_EveryEndClosesWithoutError(bool externalStore)
    {
        // A temporary-files reaper, or an application's own clean-up, can take the host directory away before the ends are
        // disposed: the files are gone already; disposing must still release everything, not fail on them.
        using var host = new TempHost();
        await using XenStoreServer? store = externalStore ? XenStoreServer.Start(new XenStoreServerOptions { SocketPath = host.FilePath("store.sock") }) : null;
        PvRingListener listener = await PvRingListener.StartAsync("gone", new() { Host = host.Host, StoreSocket = externalStore ? host.FilePath("store.sock") : null });
        (PvRingConnection front, PvRingConnection back) = await PairAsync(listener, host, "gone");
        await front.SendAsync(new byte[] { 1, 2, 3 });
        Assert.Equal(3, await back.ReceiveAsync(new byte[16]).AsTask().WaitAsync(s_bound));

        Directory.Delete(Path.Combine(host.Path, "gone"), recursive: true);
        await front.DisposeAsync().AsTask().WaitAsync(s_bound);
        await back.DisposeAsync().AsTask().WaitAsync(s_bound);
        await listener.DisposeAsync().AsTask().WaitAsync(s_bound);
    }

    [Fact]
    public async Task ReceiveAsync_PeerProcessKilledWhileWaiting_EndsWithPeerGone()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("kill", new() { Host = host.Host });
        using ChildProcess peer = ChildProcess.StartPeer("api-hold", "kill", host.Path);
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        Assert.True(SpinWait.SpinUntil(() => peer.Output.Contains("connected") || peer.HasExited, s_bound), peer.Output);
        ValueTask<int> receiving = back.ReceiveAsync(new byte[16]);
        peer.Kill();
        Exception? ended = await Record.ExceptionAsync(async () => await receiving.AsTask().WaitAsync(s_bound));
        Assert.True(ended is PeerGoneException || (ended is null && back.IsPeerGone), $"ended with {ended?.GetType().Name ?? "a result"}");
    }

    [Theory]
    [InlineData(NetGrantModes.Copy)]
    [InlineData(NetGrantModes.Map)]
    [InlineData(NetGrantModes.DirectMap)]
    [InlineData(NetGrantModes.DeferredUnmap)]
    public async Task SendAsync_EveryGrantMode_ManyMorePacketsThanTheRingHolds(NetGrantModes mode)
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("modes", new() { Host = host.Host });
        var wants = NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = mode };
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("modes", new() { Host = host.Host, Wants = wants });
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        await using PvRingConnection front = await connecting.WaitAsync(s_bound);
        Assert.Equal(mode, front.Features.GrantModes);
        const int Count = 3000;
        Task sending = Task.Run(async () =>
        {
            var packet = new byte[4500];
            for (int i = 0; i < Count; i++)
            {
                packet[0] = (byte)i;
                await front.SendAsync(packet);
            }
        });
        var buffer = new byte[65535];
        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(4500, await back.ReceiveAsync(buffer).AsTask().WaitAsync(s_bound));
            Assert.Equal((byte)i, buffer[0]);
        }

        await sending.WaitAsync(s_bound);
    }

    [Fact]
    public async Task Loggers_Lifecycle_ListeningAcceptedConnectedPeerGone()
    {
        using var host = new TempHost();
        var listenerLog = new ListLogger();
        var frontLog = new ListLogger();
        await using PvRingListener listener = await PvRingListener.StartAsync("log", new() { Host = host.Host, Logger = listenerLog });
        Task<PvRingConnection> connecting = PvRingConnection.ConnectAsync("log", new() { Host = host.Host, Logger = frontLog });
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        PvRingConnection front = await connecting.WaitAsync(s_bound);
        await front.DisposeAsync();
        Assert.Equal(0, await back.ReceiveAsync(new byte[16]).AsTask().WaitAsync(s_bound));
        Assert.True(SpinWait.SpinUntil(() => listenerLog.Contains("the peer is gone"), s_bound), string.Join('\n', listenerLog.Messages));
        Assert.True(listenerLog.Contains("listening in"));
        Assert.True(listenerLog.Contains("accepted the front end of domain 1: ring-page-order=2"));
        Assert.True(frontLog.Contains("connected as domain 1"));
    }

    [Fact]
    public async Task SendAsync_PeerProcessKilledWhileWaiting_EndsWithTheLibrarysException()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("killsend", new() { Host = host.Host });
        using ChildProcess peer = ChildProcess.StartPeer("api-hold", "killsend", host.Path);
        await using PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        Assert.True(SpinWait.SpinUntil(() => peer.Output.Contains("connected") || peer.HasExited, s_bound), peer.Output);

        // The peer reads one small packet at most: fill every buffer it posted, then a send has to wait.
        var packet = new byte[60000];
        while (back.TrySend(packet))
        {
        }

        ValueTask sending = back.SendAsync(packet);
        Assert.False(sending.IsCompleted);
        peer.Kill();
        Exception? ended = await Record.ExceptionAsync(async () => await sending.AsTask().WaitAsync(s_bound));
        Assert.IsAssignableFrom<PvRingException>(ended);
    }

    private static async Task<(PvRingConnection Front, PvRingConnection Back)> PairAsync(PvRingListener listener, TempHost host, string name)
    {
        Task<PvRingConnection> front = PvRingConnection.ConnectAsync(name, new() { Host = host.Host });
        PvRingConnection back = await listener.AcceptAsync().AsTask().WaitAsync(s_bound);
        return (await front.WaitAsync(s_bound), back);
    }
}
