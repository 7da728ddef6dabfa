// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Memory;

namespace PvRing.TestPeer;

/// <summary>
/// <c>hostile-writer ROOT SEED SECONDS [--store SOCKET] [--find-rings SOCKET] [--api NAME HOST CONNECTIONS]</c>: the hostile peer of the cross-process
/// fuzzer. In rounds (about a millisecond apart) it lists every case directory under ROOT that holds the file <c>go</c>
/// (the case armed it), maps each shared file it finds there by path (ring files, event pages, grant tables, arenas, flush pages: <see cref="HostileTarget"/>) and writes a
/// few adversarial values into each, never changing a file's size. With <c>--find-rings</c> it reads the vif's ring
/// references from the store and writes the arena's netif rings as rings (indexes, packet-chain slots); with
/// <c>--store</c> it also writes adversarial keys and raw frames to the store (<see cref="HostileStore"/>); with
/// <c>--api</c> it opens CONNECTIONS application-API connections to the listener NAME in HOST, one after the other, and
/// writes their sealed memory (<see cref="HostileApiFront"/>), ending after the last.
/// Every value comes from SEED (each file's from SEED and its path), so a run's writes replay; their timing does not.
/// Prints <c>ready</c>, then <c>touched PATH</c> at a file's first write and <c>hit PATH writes=N</c> once it has been
/// written in its milestone round (4 to 15 rounds), and <c>hit store actions=N</c> every 16 store actions; ends when ROOT/stop appears or SECONDS pass, printing
/// <c>done rounds=.. files=.. writes=.. key-writes=.. key-refusals=.. raw-frames=.. raw-drops=.. api-connections=.. api-refused=.. api-packets=..</c>; exits 0.
/// </summary>
internal sealed class HostileWriterVerb : IPeerVerb
{
    /// <summary>The file whose appearance under ROOT ends the run.</summary>
    public const string StopFile = "stop";

    /// <summary>The name the store's hits are reported under (<c>hit store actions=N</c>, every <see cref="StoreMilestone"/> actions).</summary>
    public const string StoreTarget = "store";

    /// <summary>Store actions between two store hits.</summary>
    public const int StoreMilestone = 16;

    /// <summary>The file a case directory holds once the case wants to be written into.</summary>
    public const string ArmFile = "go";

    private const string Usage = "usage: hostile-writer ROOT SEED SECONDS [--store SOCKET] [--find-rings SOCKET] [--api NAME HOST CONNECTIONS]";

    public string Name => "hostile-writer";

    public int Run(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine(Usage);
            return 64;
        }

        string root = args[0];
        int seed = int.Parse(args[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var limit = TimeSpan.FromSeconds(double.Parse(args[2], CultureInfo.InvariantCulture));
        var random = new Random(seed);
        string? storeSocket = null;
        bool hostileStore = false;
        HostileApiFront? api = null;
        for (int i = 3; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--store" or "--find-rings" when i + 1 < args.Length:
                    hostileStore |= args[i] == "--store";
                    storeSocket = args[++i];
                    break;
                case "--api" when i + 3 < args.Length:
                    api = new HostileApiFront(args[i + 1], new HostDirectory(args[i + 2]), int.Parse(args[i + 3], CultureInfo.InvariantCulture), seed, new Random(seed ^ 0x0A91));
                    i += 3;
                    break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 64;
            }
        }

        using HostileApiFront? apiFront = api;
        using HostileStore? store = storeSocket is null ? null : new HostileStore(storeSocket, random, hostileStore);
        var targets = new Dictionary<string, HostileTarget>(StringComparer.Ordinal);
        long rounds = 0, files = 0, writes = 0;
        Console.WriteLine("ready");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (!File.Exists(Path.Combine(root, StopFile)) && clock.Elapsed < limit && api?.Done != true)
            {
                rounds++;
                files += Rescan(root, seed, targets);
                int mapped = api?.Targets.Count() ?? 0;
                api?.BeforeRound();
                files += Math.Max(0, (api?.Targets.Count() ?? 0) - mapped);
                (uint Transmit, uint Receive)? rings = (rounds & 7) == 0 ? store?.ReadRingReferences() : null;
                foreach (HostileTarget target in api is null ? targets.Values : targets.Values.Concat(api.Targets))
                {
                    if (rings is (uint tx, uint rx) && target.Kind == HostileKind.Arena)
                    {
                        HostileTarget? table = targets.Values.FirstOrDefault(t => t.Kind == HostileKind.GrantTable && Path.GetDirectoryName(t.Relative) == Path.GetDirectoryName(target.Relative));
                        target.NetRings = table?.FrameOf(tx) is uint txFrame && table.FrameOf(rx) is uint rxFrame ? (txFrame, rxFrame) : null;
                    }

                    long written = target.Writes;
                    target.Scribble();
                    writes += target.Writes - written;
                    if (target.Rounds == 1)
                    {
                        Console.WriteLine($"touched {target.Relative}");
                    }

                    if (target.ReachedMilestone)
                    {
                        Console.WriteLine($"hit {target.Relative} writes={target.Writes}");
                    }
                }

                api?.AfterRound();
                if (hostileStore && store is not null)
                {
                    store.Round();
                    if (store.Actions % StoreMilestone == 0)
                    {
                        Console.WriteLine($"hit {StoreTarget} actions={store.Actions}");
                    }
                }
                Thread.Sleep(1); // pace the rounds: the survivor runs between them
            }
        }
        finally
        {
            foreach (HostileTarget target in targets.Values)
            {
                target.Dispose();
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"done rounds={rounds} files={files} writes={writes} key-writes={store?.KeyWrites ?? 0} key-refusals={store?.KeyRefusals ?? 0} raw-frames={store?.RawFrames ?? 0} raw-drops={store?.RawDrops ?? 0} api-connections={api?.Opened ?? 0} api-refused={api?.Refused ?? 0} api-packets={api?.Packets ?? 0}"));
        return 0;
    }

    /// <summary>Maps the files that appeared under <paramref name="root"/>'s case directories and drops those that went; returns how many are new.</summary>
    private static int Rescan(string root, int seed, Dictionary<string, HostileTarget> targets)
    {
        int found = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string[] cases;
        try
        {
            cases = Directory.GetDirectories(root);
        }
        catch (DirectoryNotFoundException)
        {
            cases = [];
        }

        foreach (string directory in cases)
        {
            string[] entries;
            try
            {
                entries = Directory.GetFiles(directory);
            }
            catch (DirectoryNotFoundException)
            {
                continue;
            }

            if (!entries.Contains(Path.Combine(directory, ArmFile)))
            {
                continue; // the case has not armed the writer yet (it may be setting up what it wants to survive)
            }

            foreach (string path in entries)
            {
                seen.Add(path);
                if (!targets.ContainsKey(path) && HostileTarget.TryOpen(path, Path.GetRelativePath(root, path), seed) is HostileTarget target)
                {
                    targets.Add(path, target);
                    found++;
                }
            }
        }

        foreach (string gone in targets.Keys.Where(p => !seen.Contains(p)).ToList())
        {
            targets[gone].Dispose(); // unlinked, not truncated: the mapping stayed valid until now
            targets.Remove(gone);
        }

        return found;
    }
}
