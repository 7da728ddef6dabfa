// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Memory;
using PvRing.Tests.Infrastructure;
using PvRing.TestPeer;

namespace PvRing.Tests.Hardening;

/// <summary>
/// The hostile second process of <see cref="CrossProcessHostileTests"/>: the test peer's <c>hostile-writer</c>
/// (<see cref="HostileWriterVerb"/>) running over a private root directory. Each case makes a directory of its own under
/// the root (<see cref="NewCase"/>), sets up what it will survive, arms the writer there (<see cref="Arm"/>), and runs
/// until the writer has hit the case's files (<see cref="WaitForHits"/>, bounded); <see cref="Stop"/> ends the writer and
/// returns its counts. The writer's values come from its seed, printed by the test.
/// </summary>
internal sealed class HostileWriter : IDisposable
{
    /// <summary>How long a case may wait for the writer to reach its files before that counts as a failure of the fuzzer.</summary>
    public static readonly TimeSpan HitBound = TimeSpan.FromSeconds(10);

    private readonly TempHost _root = new();
    private readonly ChildProcess _child;
    private readonly HashSet<string> _hits = new(StringComparer.Ordinal);
    private int _cases;

    private HostileWriter(int seed, string[] options)
    {
        Seed = seed;
        // The bound on the writer's own life; the test stops it long before (Stop), or kills it (Dispose).
        _child = ChildProcess.StartPeer("hostile-writer", [_root.Path, seed.ToString(CultureInfo.InvariantCulture), "600", .. options]);
        string ready = _child.ReadLine(TimeSpan.FromSeconds(30));
        Assert.True(ready == "ready", $"the hostile writer said '{ready}'. Output:\n{_child.Output}");
    }

    /// <summary>The root under which every case's directory lies.</summary>
    public string Root => _root.Path;

    /// <summary>The writer's seed.</summary>
    public int Seed { get; }

    /// <summary>Starts a writer of the files in armed case directories; with <paramref name="storeSocket"/>, <paramref name="hostileStore"/> also makes it write the store.</summary>
    public static HostileWriter Start(int seed, string? storeSocket = null, bool hostileStore = false) =>
        new(seed, storeSocket is null ? [] : [hostileStore ? "--store" : "--find-rings", storeSocket]);

    /// <summary>A writer that also opens <paramref name="connections"/> application-API connections to the listener <paramref name="name"/> in <paramref name="host"/> and writes their sealed memory.</summary>
    public static HostileWriter StartApi(int seed, string name, string host, int connections) =>
        new(seed, ["--api", name, host, connections.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>Waits (bounded) for the writer to end by itself (after its last API connection) and returns its counts, as <see cref="Stop"/>.</summary>
    public IReadOnlyDictionary<string, long> WaitForEnd()
    {
        _child.AssertExit(0, TimeSpan.FromSeconds(60));
        return Counts();
    }

    /// <summary>A fresh host directory for one case, named after its seed (the writer seeds each file from its path).</summary>
    public HostDirectory NewCase(int caseSeed) =>
        new(Path.Combine(_root.Path, string.Create(CultureInfo.InvariantCulture, $"c{(uint)caseSeed:x8}-{_cases++}")));

    /// <summary>Lets the writer into <paramref name="host"/>: from its next round it writes every shared file there.</summary>
    public static void Arm(HostDirectory host) => File.WriteAllText(Path.Combine(host.Path, HostileWriterVerb.ArmFile), "go");

    /// <summary>
    /// Runs <paramref name="step"/> until the writer has hit every one of <paramref name="names"/> in <paramref name="host"/>
    /// (written in its milestone round, 4 to 15 rounds after it found the file); returns the steps run. A writer that never
    /// gets there within <see cref="HitBound"/> (or died) throws: the case did not test anything.
    /// </summary>
    public int WaitForHits(HostDirectory host, string[] names, Action step)
    {
        string directory = Path.GetFileName(host.Path);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int steps = 0;
        while (!names.All(n => _hits.Contains(directory + "/" + n)))
        {
            step();
            steps++;

            ReadLines(line =>
            {
                if (line.StartsWith("hit ", StringComparison.Ordinal))
                {
                    _hits.Add(line.Split(' ')[1]);
                }
            });

            if (!names.All(n => _hits.Contains(directory + "/" + n)) && (_child.HasExited || clock.Elapsed > HitBound))
            {
                throw new InvalidOperationException($"The hostile writer hit only [{string.Join(", ", _hits.Where(h => h.StartsWith(directory, StringComparison.Ordinal)))}] of {directory} " +
                    $"(wanted {string.Join(", ", names)}) in {clock.Elapsed.TotalSeconds:F1} s; exited={_child.HasExited}");
            }
        }

        return steps;
    }

    /// <summary>
    /// Runs <paramref name="step"/> until the writer has done <paramref name="milestones"/> more rounds of store actions
    /// (<see cref="HostileWriterVerb.StoreMilestone"/> each), bounded like <see cref="WaitForHits"/>; returns the steps run.
    /// </summary>
    public int WaitForStoreActions(int milestones, Action step)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int steps = 0;
        for (int seen = 0; seen < milestones;)
        {
            step();
            steps++;
            ReadLines(line => seen += line.StartsWith("hit " + HostileWriterVerb.StoreTarget + " ", StringComparison.Ordinal) ? 1 : 0);

            if (seen < milestones && (_child.HasExited || clock.Elapsed > HitBound))
            {
                throw new InvalidOperationException($"The hostile writer did {seen} of {milestones} rounds of store actions in {clock.Elapsed.TotalSeconds:F1} s; exited={_child.HasExited}");
            }
        }

        return steps;
    }

    /// <summary>
    /// Hands every line the writer has printed to <paramref name="onLine"/>, waiting a millisecond for the first: all of
    /// them, not one per step, or a step that waits a few milliseconds would fall behind a writer reporting other files.
    /// </summary>
    private void ReadLines(Action<string> onLine)
    {
        bool read = false;
        while (_child.TryReadLine(read ? TimeSpan.Zero : TimeSpan.FromMilliseconds(1), out string? line))
        {
            read = true;
            onLine(line);
        }
    }

    /// <summary>Removes a case's directory (the writer drops its mappings in its next round; unlinking never truncates).</summary>
    public static void EndCase(HostDirectory host)
    {
        try
        {
            Directory.Delete(host.Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>Stops the writer and returns its counts from its last line (it must exit 0: a hostile writer that crashed tested nothing).</summary>
    public IReadOnlyDictionary<string, long> Stop()
    {
        File.WriteAllText(Path.Combine(_root.Path, HostileWriterVerb.StopFile), "stop");
        _child.AssertExit(0, TimeSpan.FromSeconds(30));
        return Counts();
    }

    private Dictionary<string, long> Counts()
    {
        string done = _child.Output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("done ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("The hostile writer printed no counts. Output:\n" + _child.Output);
        return done[5..].Split(' ').Select(p => p.Split('=')).ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// What this process still holds of the cases' files once they ended (descriptors and mappings of paths under
    /// <see cref="Root"/>, deleted or not), after waiting (bounded) for delayed releases and finalizers; empty when nothing leaked.
    /// </summary>
    public IReadOnlyList<string> LeftOpen()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var left = new List<string>();
            foreach (string fd in Directory.GetFileSystemEntries("/proc/self/fd"))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget is string target && target.StartsWith(Root, StringComparison.Ordinal))
                    {
                        left.Add("fd " + target);
                    }
                }
                catch (IOException)
                {
                }
            }

            left.AddRange(File.ReadAllLines("/proc/self/maps").Where(l => l.Contains(Root, StringComparison.Ordinal)).Select(l => "map " + l[(l.IndexOf('/', StringComparison.Ordinal))..]).Distinct());
            if (left.Count == 0 || clock.Elapsed > TimeSpan.FromSeconds(5))
            {
                return left;
            }

            using var pause = new ManualResetEventSlim();
            pause.Wait(TimeSpan.FromMilliseconds(100)); // a domain unmaps a peer's page 250 ms after its last channel goes
        }
    }

    public void Dispose()
    {
        _child.Dispose();
        _root.Dispose();
    }
}
