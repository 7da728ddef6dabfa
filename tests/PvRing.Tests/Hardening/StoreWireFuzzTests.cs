// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using CsCheck;
using PvRing.Tests.Store;
using PvRing.Store;

namespace PvRing.Tests.Hardening;

/// <summary>
/// The bounded hostile fuzzer for the store's wire (<c>xs_wire.h</c>): hostile clients on raw sockets send random
/// headers (any type, request and transaction ids, lengths that match, lie a little, or claim gigabytes), payloads of
/// paths, NULs, permissions, tokens and random bytes, then read, close early, or vanish mid-message; after every case a
/// well-behaved client must still be served within the bound. The other direction too: a hostile store answers a
/// <see cref="XenStoreClient"/> with random replies, and every call returns, or throws the library's
/// <see cref="PvRingException"/> within the client's request timeout; never another exception or a hang.
/// </summary>
public sealed class StoreWireFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int ServerCases = 200;
    private const int ClientCases = 120;
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromMilliseconds(150);

    private static readonly string[] s_pieces =
    [
        "/", "/local/domain/1", "/local/domain/0/backend/vif/1/0/state", "@releaseDomain", "@introduceDomain", "relative/key",
        "..", "/a//b", "/fuzz/x", "\0", "\0\0", "r0", "n1", "b2", "w0\0r1", "token", "4", "65535", "-1", "99999999999",
        "\u00e9\u4e2d", "/" + new string('p', 3100), new string('v', 5000), "\u0001\u00ff", "T", "F", " ",
    ];

    /// <summary>One frame a hostile client sends: a header, a payload made of pieces, and what it does after.</summary>
    public readonly record struct Frame(uint Type, uint RequestId, uint TransactionId, int LengthKind, uint LengthNoise, string Payload, int After);

    private static Gen<Frame> FrameGen =>
        Gen.Select(
            Gen.Frequency((6, Gen.UInt[0, 22]), (1, Gen.UInt)),
            Gen.UInt,
            Gen.Frequency((4, Gen.Const(0u)), (2, Gen.UInt[1, 4]), (1, Gen.UInt)),
            Gen.Int[0, 5],
            Gen.UInt,
            Gen.Int[0, s_pieces.Length - 1].Array[0, 5].Select(ix => string.Concat(ix.Select(i => s_pieces[i]))),
            Gen.Int[0, 3],
            (t, r, x, k, n, p, a) => new Frame(t, r, x, k, n, p, a));

    [Fact]
    public async Task HostileClients_ServerAnswersOrDropsThemAndKeepsServingOthers()
    {
        var log = new Connections.ListLogger();
        await using var host = StoreTestHost.Start(logger: log);
        XenStoreClient good = await host.ConnectAsync();
        Gen<Frame[][]> cases = FrameGen.Array[1, 6].Array[1, 3];
        int frames = 0, served = 0;
        FuzzBudget.Sample(cases, ServerCases, output, connections =>
        {
            string? failure = FuzzBudget.Run("hostile store clients", () =>
            {
                RunHostileClientsAsync(host, connections).GetAwaiter().GetResult();
                frames += connections.Sum(c => c.Length);

                // The survivor: a client that was connected all along, and a new one, are both served.
                string value = served.ToString(System.Globalization.CultureInfo.InvariantCulture);
                good.WriteAsync("/fuzz/survivor", value, StoreTestHost.Bounded()).GetAwaiter().GetResult();
                if (good.ReadAsync("/fuzz/survivor", StoreTestHost.Bounded()).GetAwaiter().GetResult() != value)
                {
                    throw new InvalidOperationException("the survivor read back another value");
                }

                served++;
            }, _ => false);
            return failure;
        });
        Assert.False(log.Contains("internal error"), "the server failed to handle a request: " + string.Join(" | ", log.Messages));
        XenStoreClient late = await host.ConnectAsync();
        Assert.Equal((served - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), await late.ReadAsync("/fuzz/survivor", StoreTestHost.Bounded()));
        output.WriteLine($"{FuzzBudget.Cases(ServerCases)} hostile cases, {frames} hostile frames; the survivor was served after each ({served} times)");
    }

    [Fact]
    public async Task HostileStore_EveryClientCallReturnsOrThrowsTheLibrarysException()
    {
        using var directory = new Infrastructure.TempHost();
        string socketPath = directory.FilePath("hostile-store");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(16);
        Gen<(Frame[] Replies, int Call)> cases = Gen.Select(FrameGen.Array[0, 4], Gen.Int[0, 5]);
        int answered = 0, refused = 0;
        FuzzBudget.Sample(cases, ClientCases, output, c =>
        {
            string? failure = FuzzBudget.Run($"hostile store, call {c.Call}", () =>
            {
                if (RunHostileStoreCaseAsync(listener, socketPath, c.Replies, c.Call).GetAwaiter().GetResult())
                {
                    answered++;
                }
                else
                {
                    refused++;
                }
            }, _ => false);
            return failure;
        });
        Assert.True(refused > 0, "no call was refused: the generator no longer reaches the checks");
        output.WriteLine($"{FuzzBudget.Cases(ClientCases)} hostile store cases: {answered} calls returned, {refused} threw PvRingException");
    }

    private static async Task RunHostileClientsAsync(StoreTestHost host, Frame[][] connections)
    {
        var sockets = new List<Socket>();
        try
        {
            foreach (Frame[] frames in connections)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                sockets.Add(socket);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(host.SocketPath), StoreTestHost.Bounded());
                foreach (Frame frame in frames)
                {
                    if (!await TrySendAsync(socket, frame))
                    {
                        break; // the server dropped this client: its right
                    }

                    if (frame.After == 1)
                    {
                        await DrainAsync(socket, TimeSpan.FromMilliseconds(20));
                    }
                    else if (frame.After == 2)
                    {
                        break; // closes (below) with whatever it sent
                    }
                }
            }
        }
        finally
        {
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>Sends a frame (false when the server has dropped the connection). Some frames stop mid-message.</summary>
    private static async Task<bool> TrySendAsync(Socket socket, Frame frame)
    {
        byte[] payload = Encoding.UTF8.GetBytes(frame.Payload);
        uint declared = frame.LengthKind switch
        {
            0 or 1 => (uint)payload.Length,
            2 => (uint)payload.Length + (frame.LengthNoise % 8),
            3 => frame.LengthNoise, // anything up to 4 GB
            4 => 4097 + (frame.LengthNoise % 100_000),
            _ => 0,
        };
        byte[] message = new byte[16 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, frame.Type);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), frame.RequestId);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), frame.TransactionId);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(12), declared);
        payload.CopyTo(message, 16);
        int length = frame.After == 3 ? (int)(frame.LengthNoise % (uint)message.Length) : message.Length; // vanish mid-message
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.SendAsync(message.AsMemory(0, length), SocketFlags.None, bound.Token);
            return frame.After != 3;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }

    private static async Task DrainAsync(Socket socket, TimeSpan time)
    {
        byte[] buffer = new byte[65536];
        using var bound = new CancellationTokenSource(time);
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, bound.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
        }
    }

    /// <summary>One client call against a store that answers with <paramref name="replies"/>; true if the call returned.</summary>
    private static async Task<bool> RunHostileStoreCaseAsync(Socket listener, string socketPath, Frame[] replies, int call)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Task<XenStoreClient> connecting = XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socketPath, RequestTimeout = s_requestTimeout }, bound.Token);
        using Socket server = await listener.AcceptAsync(bound.Token);
        XenStoreClient client;
        try
        {
            client = await connecting;
        }
        catch (PvRingException)
        {
            return false;
        }

        await using (client)
        {
            Task<bool> calling = CallAsync(client, call, bound.Token);

            // The hostile store reads whatever request came and answers each frame, echoing the request id half the time.
            byte[] header = new byte[16];
            try
            {
                int got = await server.ReceiveAsync(header, SocketFlags.None, bound.Token);
                uint requestType = got >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(header) : 0;
                uint requestId = got >= 8 ? BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4)) : 0;
                foreach (Frame reply in replies)
                {
                    // A quarter of the replies are well-formed answers of the request's type (with any payload).
                    Frame echoed = (reply.LengthNoise & 3) == 0 ? reply with { Type = requestType, RequestId = requestId, LengthKind = 0, After = 0 }
                        : (reply.RequestId & 1) == 0 ? reply with { RequestId = requestId } : reply;
                    if (!await TrySendAsync(server, echoed))
                    {
                        break;
                    }
                }

                if (replies.Length > 0 && replies[^1].After == 2)
                {
                    server.Shutdown(SocketShutdown.Both); // the store goes away
                }
            }
            catch (SocketException)
            {
            }

            try
            {
                return await calling.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (PvRingException)
            {
                return false;
            }
        }
    }

    private static async Task<bool> CallAsync(XenStoreClient client, int call, CancellationToken token)
    {
        switch (call)
        {
            case 0:
                _ = await client.ReadAsync("/fuzz/a", token);
                break;
            case 1:
                await client.WriteAsync("/fuzz/a", "v", token);
                break;
            case 2:
                _ = await client.ListAsync("/fuzz", token);
                break;
            case 3:
                _ = await client.GetPermissionsAsync("/fuzz", token);
                break;
            case 4:
                await using (XenStoreTransaction t = await client.StartTransactionAsync(token))
                {
                    _ = await t.TryReadAsync("/fuzz/a", token);
                }

                break;
            default:
                _ = await client.GetDomainPathAsync(3, token);
                break;
        }

        return true;
    }
}
