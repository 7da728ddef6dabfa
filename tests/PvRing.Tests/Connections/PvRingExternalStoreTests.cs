// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Store;
using PvRing.TestPeer;
using PvRing.Transport;

namespace PvRing.Tests.Connections;

/// <summary>
/// A listener on an external store (the <c>pvring store</c> daemon, a real process) instead of its embedded one: the
/// front still connects by name only; one listener per store; the listener leaves the store as it found it.
/// </summary>
public sealed class PvRingExternalStoreTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Listener_ExternalStoreDaemon_FrontConnectsByName_SecondListenerRefused_StoreLeftClean()
    {
        using var host = new TempHost();
        string socket = host.FilePath("external.sock");
        using ChildProcess daemon = ChildProcess.StartDotnet("pvring", "store", "--socket", socket);
        using var cancel = new CancellationTokenSource(s_bound);
        await using XenStoreClient observer = await ConnectWhenListeningAsync(daemon, socket, cancel.Token);

        var options = new PvRingListenerOptions { Host = host.Host, StoreSocket = socket };
        await using (PvRingListener listener = await PvRingListener.StartAsync("ext", options, cancel.Token))
        {
            string pointer = Path.Combine(listener.DirectoryPath, "store");
            Assert.Equal(socket, File.ReadAllText(pointer));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(pointer));
            Assert.False(File.Exists(Path.Combine(listener.DirectoryPath, "xenstored.sock")));

            // Another listener on the same store is refused while this one lives (another name, the same store).
            PvRingException refused = await Assert.ThrowsAsync<PvRingException>(() => PvRingListener.StartAsync("other", options, cancel.Token));
            Assert.Contains("one listener per store", refused.Message, StringComparison.Ordinal);

            // The front end: another process that knows only the name.
            const int Count = 300;
            using ChildProcess front = ChildProcess.StartPeer("api-connect", "ext", host.Path, Count.ToString());
            await using PvRingConnection connection = await listener.AcceptAsync(cancel.Token);
            Task sending = Task.Run(async () =>
            {
                for (long i = 0; i < Count; i++)
                {
                    await connection.SendAsync(ApiPackets.Make(i), cancel.Token);
                }
            });
            var buffer = new byte[65535];
            for (long i = 0; i < Count; i++)
            {
                ApiPackets.Check(buffer.AsSpan(0, await connection.ReceiveAsync(buffer, cancel.Token)), i);
            }

            await sending.WaitAsync(s_bound);
            front.AssertExit(0, s_bound);

            // The device lives in the external store.
            Assert.NotNull(await observer.TryReadAsync("/pvring/listener", cancel.Token));
        }

        Assert.Null(await observer.TryReadAsync("/pvring", cancel.Token));
        Assert.False(File.Exists(Path.Combine(host.Path, "ext", "store")));
        Assert.False(daemon.HasExited, daemon.Output);
        daemon.Kill();
    }

    private static async Task<XenStoreClient> ConnectWhenListeningAsync(ChildProcess store, string socket, CancellationToken cancellationToken)
    {
        while (true)
        {
            Assert.False(store.HasExited, store.Output);
            try
            {
                return await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket }, cancellationToken);
            }
            catch (PvRingException e) when (e.InnerException is System.Net.Sockets.SocketException)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
    }
}
