// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using PvRing.Store;

namespace PvRing.Tests.Store;

public sealed class StoreHostileInputTests
{
    [Fact]
    public async Task Serve_OversizedPayloadHeader_RepliesE2bigAndKeepsServing()
    {
        await using var host = StoreTestHost.Start();
        using Socket raw = await ConnectRawAsync(host);
        byte[] junk = new byte[5000];
        Array.Fill(junk, (byte)'x');
        await SendAsync(raw, 11, 7, junk);
        (uint type, uint requestId, string payload) = await ReceiveAsync(raw);
        Assert.Equal(16u, type);
        Assert.Equal(7u, requestId);
        Assert.Equal("E2BIG\0", payload);

        // The same connection is still in step, and other clients are served.
        await SendAsync(raw, 11, 8, Encoding.ASCII.GetBytes("/after\0ok"));
        Assert.Equal((11u, 8u, "OK\0"), await ReceiveAsync(raw));
        XenStoreClient client = await host.ConnectAsync();
        Assert.Equal("ok", await client.ReadAsync("/after", StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task Serve_ClientWritesRequestsAndNeverReads_ReplyBacklogBoundedOthersServed()
    {
        const int Limit = 64 * 1024;
        await using var host = StoreTestHost.Start(new XenStoreLimits { MaxPendingReplyBytesPerConnection = Limit });
        XenStoreClient client = await host.ConnectAsync();
        await client.WriteAsync("/big", new string('v', 4000), StoreTestHost.Bounded());

        // 2,000 READs of a 4 KB value: 8 MB of replies the client never reads.
        using Socket raw = await ConnectRawAsync(host);
        raw.SendTimeout = 2000;
        byte[] read = Encoding.ASCII.GetBytes("/big\0");
        Task flooding = Task.Run(async () =>
        {
            try
            {
                for (uint i = 0; i < 2000; i++)
                {
                    await SendAsync(raw, 2, i, read);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The kernel's buffers filled because the server stopped reading: what we want to see.
            }
        });

        // The backlog grows to the limit (plus the reply that crossed it), then the server stops reading this client.
        Assert.True(SpinWait.SpinUntil(() => host.Server.LargestPendingReplyBytes >= Limit, StoreTestHost.Timeout));
        for (int i = 0; i < 20; i++)
        {
            Assert.InRange(host.Server.LargestPendingReplyBytes, 0, Limit + 4096 + 64);
            Assert.Equal(new string('v', 4000), await client.ReadAsync("/big", StoreTestHost.Bounded()));
        }

        raw.Dispose();
        await flooding.WaitAsync(StoreTestHost.Timeout);

        // Once the client that never read is gone, so is its backlog (the 1.35 GB stayed after it closed).
        Assert.True(SpinWait.SpinUntil(() => host.Server.LargestPendingReplyBytes == 0, StoreTestHost.Timeout), $"backlog left: {host.Server.LargestPendingReplyBytes} bytes");
    }

    [Theory]
    [InlineData(99u, "x\0", "EINVAL")]
    [InlineData(11u, "/no-nul-separator", "EINVAL")]
    [InlineData(2u, "/a\0/b\0", "EINVAL")]
    [InlineData(14u, "/\0q7\0", "EINVAL")]
    [InlineData(7u, "T\0", "ENOENT")]
    [InlineData(20u, "0\0", "EINVAL")]
    [InlineData(0u, "", "ENOSYS")]
    public async Task Serve_MalformedRequest_RepliesXenError(uint type, string payload, string expected)
    {
        await using var host = StoreTestHost.Start();
        using Socket raw = await ConnectRawAsync(host);
        await SendAsync(raw, type, 1, Encoding.ASCII.GetBytes(payload));
        Assert.Equal((16u, 1u, expected + "\0"), await ReceiveAsync(raw));
    }

    [Fact]
    public async Task WriteAsync_ValueOverConfiguredLimit_ThrowsE2bigAndStoreKeepsServing()
    {
        await using var host = StoreTestHost.Start(new XenStoreLimits { MaxValueSize = 100 });
        XenStoreClient client = await host.ConnectAsync();
        var e = await Assert.ThrowsAsync<XenStoreException>(() => client.WriteAsync("/big", new string('v', 101), StoreTestHost.Bounded()));
        Assert.Equal("E2BIG", e.ErrorName);
        await client.WriteAsync("/small", new string('v', 100), StoreTestHost.Bounded());
        Assert.False(await client.ExistsAsync("/big", StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task WriteAsync_PayloadOverProtocolLimit_ThrowsE2bigBeforeSending()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient client = await host.ConnectAsync();
        var e = await Assert.ThrowsAsync<XenStoreException>(() => client.WriteAsync("/big", new string('v', 4096), StoreTestHost.Bounded()));
        Assert.Equal("E2BIG", e.ErrorName);
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task WriteAsync_DomainOverNodeQuota_ThrowsEquota()
    {
        await using var host = StoreTestHost.Start(new XenStoreLimits { MaxNodesPerDomain = 5 });
        XenStoreClient guest = await host.ConnectAsync(domainId: 2);

        // The domain's home counts as one node.
        for (int i = 0; i < 4; i++)
        {
            await guest.WriteAsync($"n{i}", "x", StoreTestHost.Bounded());
        }

        var e = await Assert.ThrowsAsync<XenStoreException>(() => guest.WriteAsync("one-too-many", "x", StoreTestHost.Bounded()));
        Assert.Equal("EQUOTA", e.ErrorName);
        await guest.RemoveAsync("n0", StoreTestHost.Bounded());
        await guest.WriteAsync("fits-again", "x", StoreTestHost.Bounded());
    }

    [Fact]
    public async Task CommitAsync_ConcurrentTransactionsTogetherOverNodeQuota_LaterCommitsEquota()
    {
        await using var host = StoreTestHost.Start(new XenStoreLimits { MaxNodesPerDomain = 12 });
        XenStoreClient guest = await host.ConnectAsync(domainId: 2);

        // One directory per transaction, so they do not conflict (each touches only its own parent).
        for (int t = 0; t < 4; t++)
        {
            await guest.WriteAsync($"t{t}", "", StoreTestHost.Bounded());
        }

        // Each transaction alone fits (home + 4 directories + 5 = 10 of 12); together four would own 25.
        var transactions = new List<XenStoreTransaction>();
        for (int t = 0; t < 4; t++)
        {
            XenStoreTransaction transaction = await guest.StartTransactionAsync(StoreTestHost.Bounded());
            for (int i = 0; i < 5; i++)
            {
                await transaction.WriteAsync($"t{t}/n{i}", "x", StoreTestHost.Bounded());
            }

            transactions.Add(transaction);
        }

        await transactions[0].CommitAsync(StoreTestHost.Bounded());
        for (int t = 1; t < 4; t++)
        {
            var e = await Assert.ThrowsAsync<XenStoreException>(() => transactions[t].CommitAsync(StoreTestHost.Bounded()));
            Assert.Equal("EQUOTA", e.ErrorName);
        }

        Assert.True(host.Server.NodesOwnedBy(2) <= 12, $"domain 2 owns {host.Server.NodesOwnedBy(2)} nodes");
        Assert.True(await guest.ExistsAsync("t0/n4", StoreTestHost.Bounded()));
        Assert.False(await guest.ExistsAsync("t1/n0", StoreTestHost.Bounded()));
    }

    [Fact]
    public async Task WatchAsync_DomainOverWatchQuota_ThrowsEquota()
    {
        await using var host = StoreTestHost.Start(new XenStoreLimits { MaxWatchesPerConnection = 1 });
        XenStoreClient guest = await host.ConnectAsync(domainId: 2);
        await using IAsyncEnumerator<XenStoreWatchEvent> first = guest.WatchAsync("a", StoreTestHost.Bounded()).GetAsyncEnumerator();
        Assert.True(await first.MoveNextAsync());
        await using IAsyncEnumerator<XenStoreWatchEvent> second = guest.WatchAsync("b", StoreTestHost.Bounded()).GetAsyncEnumerator();
        var e = await Assert.ThrowsAsync<XenStoreException>(async () => await second.MoveNextAsync());
        Assert.Equal("EQUOTA", e.ErrorName);
    }

    [Fact]
    public async Task Restrict_UnprivilegedConnection_ThrowsEperm()
    {
        await using var host = StoreTestHost.Start();
        XenStoreClient guest = await host.ConnectAsync(domainId: 2);
        using Socket raw = await ConnectRawAsync(host);
        await SendAsync(raw, 20, 1, "3\0"u8.ToArray());
        Assert.Equal((20u, 1u, "OK\0"), await ReceiveAsync(raw));
        await SendAsync(raw, 20, 2, "4\0"u8.ToArray());
        Assert.Equal((16u, 2u, "EPERM\0"), await ReceiveAsync(raw));
        Assert.Equal("", await guest.ReadAsync("/local/domain/2", StoreTestHost.Bounded()));
    }

    private static async Task<Socket> ConnectRawAsync(StoreTestHost host)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(host.SocketPath), StoreTestHost.Bounded());
        return socket;
    }

    private static async Task SendAsync(Socket socket, uint type, uint requestId, byte[] payload)
    {
        byte[] message = new byte[16 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, type);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), requestId);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(12), (uint)payload.Length);
        payload.CopyTo(message, 16);
        await socket.SendAsync(message, SocketFlags.None, StoreTestHost.Bounded());
    }

    private static async Task<(uint Type, uint RequestId, string Payload)> ReceiveAsync(Socket socket)
    {
        using var stream = new NetworkStream(socket, ownsSocket: false);
        byte[] header = new byte[16];
        await stream.ReadExactlyAsync(header, StoreTestHost.Bounded());
        byte[] payload = new byte[BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(12))];
        await stream.ReadExactlyAsync(payload, StoreTestHost.Bounded());
        return (BinaryPrimitives.ReadUInt32LittleEndian(header), BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4)), Encoding.ASCII.GetString(payload));
    }
}
