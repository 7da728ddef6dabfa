// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Memory;
using PvRing.Transport;

namespace PvRing.TestPeer;

/// <summary>
/// The hostile writer's application-API side: it connects to a listener as an honest front would (sealed memory, handed
/// over by descriptor), then maps every PvRing memfd this process holds (its own arena, grant table, event and flush
/// pages, and the listener's event page, through <c>/proc/self/fd</c>: the seals stop a resize, not a write) and
/// scribbles them like files (<see cref="HostileTarget"/>, under the names <c>apiK/NAME</c>) while it sends and
/// receives now and then. Once every mapped memfd passed its milestone and 20 rounds went by, it closes the connection
/// and opens the next one, up to the count it was given.
/// </summary>
internal sealed class HostileApiFront : IDisposable
{
    private const string MemfdPrefix = "/memfd:pvring:";
    private static readonly NetGrantModes[] s_modes = [NetGrantModes.Copy, NetGrantModes.Map, NetGrantModes.Persistent, NetGrantModes.DirectMap, NetGrantModes.DeferredUnmap];

    private readonly string _name;
    private readonly HostDirectory _host;
    private readonly int _connections;
    private readonly int _seed;
    private readonly Random _random;
    private readonly Dictionary<string, HostileTarget> _targets = new(StringComparer.Ordinal);
    private readonly byte[] _buffer = new byte[ApiPackets.MaxSize];
    private PvRingConnection? _connection;
    private int _rounds;
    private long _sent;

    public HostileApiFront(string name, HostDirectory host, int connections, int seed, Random random)
    {
        _name = name;
        _host = host;
        _connections = connections;
        _seed = seed;
        _random = random;
    }

    /// <summary>Connections opened so far.</summary>
    public int Opened { get; private set; }

    /// <summary>Connections that failed to open (the listener refused, or timed out).</summary>
    public int Refused { get; private set; }

    /// <summary>Packets this end sent and took.</summary>
    public long Packets { get; private set; }

    /// <summary>The mapped memfds of the current connection.</summary>
    public IEnumerable<HostileTarget> Targets => _targets.Values;

    /// <summary>True once every connection was opened and closed.</summary>
    public bool Done => Opened + Refused >= _connections && _connection is null;

    /// <summary>Before the round's writes: connects when none is open, and maps the memfds that came.</summary>
    public void BeforeRound()
    {
        if (_connection is null)
        {
            if (Opened + Refused >= _connections)
            {
                return;
            }

            Connect();
        }

        if (_connection is not null)
        {
            MapNewMemfds();
        }
    }

    /// <summary>After the round's writes: traffic, and the close once the connection has been written enough.</summary>
    public void AfterRound()
    {
        if (_connection is null)
        {
            return;
        }

        _rounds++;
        try
        {
            if (_random.Next(2) == 0 && _connection.TrySend(ApiPackets.Make(_sent)))
            {
                _sent++;
                Packets++;
            }

            while (_connection.TryReceive(_buffer, out _))
            {
                Packets++;
            }
        }
        catch (PvRingException)
        {
            _rounds = int.MaxValue; // the listener refused us (its right after our writes): close
        }

        if (_rounds >= 20 && _targets.Count > 0 && _targets.Values.All(t => t.Rounds > 15))
        {
            Close();
        }
    }

    public void Dispose() => Close();

    private void Connect()
    {
        var wants = NetDeviceFeatures.All with { Queues = 1, RingPageOrder = _random.Next(3), GrantModes = s_modes[_random.Next(s_modes.Length)] };
        try
        {
            _connection = PvRingConnection.ConnectAsync(_name, new PvRingConnectionOptions { Host = _host, Wants = wants, ConnectTimeout = TimeSpan.FromSeconds(10) })
                .GetAwaiter().GetResult();
            Opened++;
            _rounds = 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"api connected {Opened} {wants.GrantModes} order={wants.RingPageOrder}"));
        }
        catch (Exception e) when (e is PvRingException or TimeoutException)
        {
            Refused++;
            Console.WriteLine($"api refused: {e.GetType().Name}: {e.Message}");
        }
    }

    private void MapNewMemfds()
    {
        foreach (string fd in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue;
            }

            if (target is null || !target.StartsWith(MemfdPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            string name = target[MemfdPrefix.Length..].Replace(" (deleted)", string.Empty, StringComparison.Ordinal);
            if (!_targets.ContainsKey(name)
                && HostileTarget.TryOpen(fd, string.Create(CultureInfo.InvariantCulture, $"api{Opened}/{name}"), _seed, name) is HostileTarget mapped)
            {
                _targets.Add(name, mapped);
            }
        }
    }

    private void Close()
    {
        foreach (HostileTarget target in _targets.Values)
        {
            target.Dispose();
        }

        _targets.Clear();
        if (_connection is not null)
        {
            try
            {
                if (!_connection.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10)))
                {
                    Console.WriteLine("api close: still closing after 10 s");
                }
            }
            catch (AggregateException e) when (e.InnerException is PvRingException)
            {
                Console.WriteLine($"api close: {e.InnerException.Message}");
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"api closed {Opened}"));
            _connection = null;
        }
    }
}
