// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using PvRing.Store;

namespace PvRing.TestPeer;

/// <summary>
/// The hostile writer's store side, on the store's socket: it finds the device's ring references (as domain 0, the
/// way a peer learns them) so the arena's rings can be written as rings; and, when hostile, each round either writes
/// an adversarial value to one of the vif's keys (as the front, domain 1, under the frontend path, or as domain 0 under
/// the backend path), removes one, or sends a raw <c>xs_wire</c> frame (any type, ids, lengths that lie, payloads of
/// paths, NULs and garbage, sometimes cut off) on a socket of its own that it keeps until the store drops it.
/// </summary>
internal sealed class HostileStore : IDisposable
{
    private const string FrontPath = "/local/domain/1/device/vif/0";
    private const string BackPath = "/local/domain/0/backend/vif/1/0";

    private static readonly string[] s_keys =
    [
        "state", "tx-ring-ref", "rx-ring-ref", "event-channel", "event-channel-tx", "event-channel-rx", "request-rx-copy",
        "feature-rx-notify", "feature-sg", "feature-split-event-channels", "feature-grant-map", "feature-persistent",
        "feature-direct-map", "feature-deferred-unmap", "multi-queue-num-queues", "multi-queue-max-queues", "ring-page-order",
        "max-ring-page-order", "queue-0/tx-ring-ref", "queue-0/event-channel", "tx-ring-ref0", "backend", "backend-id",
        "frontend", "frontend-id", "hotplug-status", "numa-node", "online", "error", "x/y/z",
    ];

    private static readonly string[] s_values =
    [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "-1", "9", "10", "511", "512", "1023", "1024", "4095", "65535", "65536",
        "4294967295", "4294967296", "99999999999999999999", "", " 4", "4 ", "+4", "0x10", "1e3", "abc", "1\0", "\0",
        "/local/domain/0/backend/vif/1/0", "/local/domain/7", "\u00e9", new string('9', 3000),
    ];

    private static readonly string[] s_pieces =
    [
        "/", FrontPath, BackPath, FrontPath + "/state", BackPath + "/state", "@releaseDomain", "@introduceDomain", "rel", "..",
        "//", "\0", "\0\0", "r0", "w1", "b0", "n1", "token", "4", "-1", "4294967296", new string('p', 3100), "\u0001\u00ff",
    ];

    private readonly string _socketPath;
    private readonly Random _random;
    private readonly bool _hostile;
    private XenStoreClient? _domain0;
    private XenStoreClient? _front;
    private Socket? _raw;

    public HostileStore(string socketPath, Random random, bool hostile)
    {
        _socketPath = socketPath;
        _random = random;
        _hostile = hostile;
    }

    /// <summary>Hostile actions done (key writes, removals, raw frames).</summary>
    public long Actions { get; private set; }

    /// <summary>Key writes and removals the store accepted.</summary>
    public long KeyWrites { get; private set; }

    /// <summary>Key writes and removals the store refused (permissions, bad paths) or that failed.</summary>
    public long KeyRefusals { get; private set; }

    /// <summary>Raw frames sent.</summary>
    public long RawFrames { get; private set; }

    /// <summary>Raw connections the store dropped (or that we cut mid-message).</summary>
    public long RawDrops { get; private set; }

    /// <summary>The device's transmit and receive ring references, when the front has published them.</summary>
    public (uint Transmit, uint Receive)? ReadRingReferences()
    {
        string? tx = Call(() => Domain0().TryReadAsync(FrontPath + "/tx-ring-ref", Bound()));
        string? rx = tx is null ? null : Call(() => Domain0().TryReadAsync(FrontPath + "/rx-ring-ref", Bound()));
        return uint.TryParse(tx, NumberStyles.None, CultureInfo.InvariantCulture, out uint t) && uint.TryParse(rx, NumberStyles.None, CultureInfo.InvariantCulture, out uint r)
            ? (t, r)
            : null;
    }

    /// <summary>One hostile action (nothing unless hostile).</summary>
    public void Round()
    {
        if (!_hostile)
        {
            return;
        }

        Actions++;
        int action = _random.Next(10);
        if (action < 5)
        {
            bool asFront = _random.Next(3) != 0;
            string path = (asFront ? FrontPath : BackPath) + "/" + s_keys[_random.Next(s_keys.Length)];
            string value = _random.Next(4) == 0 ? _random.Next(-2, 70000).ToString(CultureInfo.InvariantCulture) : s_values[_random.Next(s_values.Length)];
            Count(Call(async () =>
            {
                await (asFront ? Front() : Domain0()).WriteAsync(path, value, Bound());
                return string.Empty;
            }) is not null);
        }
        else if (action < 6)
        {
            string path = (_random.Next(2) == 0 ? FrontPath : BackPath) + "/" + s_keys[_random.Next(s_keys.Length)];
            Count(Call(async () =>
            {
                await Domain0().RemoveAsync(path, Bound());
                return string.Empty;
            }) is not null);
        }
        else
        {
            SendRawFrame();
        }
    }

    public void Dispose()
    {
        _raw?.Dispose();
        Dispose(ref _domain0);
        Dispose(ref _front);
    }

    private static CancellationToken Bound() => new CancellationTokenSource(TimeSpan.FromMilliseconds(500)).Token;

    private static void Dispose(ref XenStoreClient? client)
    {
        client?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(2));
        client = null;
    }

    private void Count(bool accepted)
    {
        KeyWrites += accepted ? 1 : 0;
        KeyRefusals += accepted ? 0 : 1;
    }

    private XenStoreClient Domain0() => _domain0 ??= Connect(null);

    private XenStoreClient Front() => _front ??= Connect(1);

    private XenStoreClient Connect(int? domain) =>
        XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = _socketPath, DomainId = domain, RequestTimeout = TimeSpan.FromMilliseconds(500) }, Bound()).GetAwaiter().GetResult();

    /// <summary>Runs a store call; null when it failed (a refusal, or a broken connection, which is then dropped).</summary>
    private string? Call(Func<Task<string?>> call)
    {
        try
        {
            return call().GetAwaiter().GetResult() ?? string.Empty;
        }
        catch (XenStoreException)
        {
            return null;
        }
        catch (Exception e) when (e is PvRingException or OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            Dispose(ref _domain0);
            Dispose(ref _front);
            return null;
        }
    }

    private void SendRawFrame()
    {
        try
        {
            if (_raw is null)
            {
                _raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { SendTimeout = 200, ReceiveTimeout = 200 };
                _raw.Connect(new UnixDomainSocketEndPoint(_socketPath));
            }

            var payload = new StringBuilder();
            for (int i = _random.Next(5); i > 0; i--)
            {
                payload.Append(s_pieces[_random.Next(s_pieces.Length)]);
            }

            byte[] body = Encoding.UTF8.GetBytes(payload.ToString());
            uint type = _random.Next(6) == 0 ? (uint)_random.Next() : (uint)_random.Next(23);
            uint declared = _random.Next(5) switch
            {
                0 => (uint)body.Length + (uint)_random.Next(1, 8),
                1 => HostileValues.Word(_random, 4096),
                _ => (uint)body.Length,
            };
            byte[] frame = new byte[16 + body.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(frame, type);
            BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), (uint)_random.Next());
            BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(8), _random.Next(4) == 0 ? (uint)_random.Next(5) : 0u);
            BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(12), declared);
            body.CopyTo(frame, 16);
            bool cut = _random.Next(8) == 0;
            _raw.Send(frame, 0, cut ? _random.Next(frame.Length) : frame.Length, SocketFlags.None);
            RawFrames++;
            byte[] sink = new byte[65536];
            while (_raw.Available > 0)
            {
                _ = _raw.Receive(sink);
            }

            if (cut || declared != body.Length)
            {
                // A frame that lies about its length leaves the stream out of step: start a new connection.
                _raw.Dispose();
                _raw = null;
                RawDrops++;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            _raw?.Dispose();
            _raw = null;
            RawDrops++;
        }
    }
}
