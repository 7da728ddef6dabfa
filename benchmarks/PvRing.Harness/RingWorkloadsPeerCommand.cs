// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.Runtime.CompilerServices;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Rx;

namespace PvRing.Harness;

/// <summary>
/// The back of <c>ringworkloads</c> (started by it, pinned with taskset): reads the schedule the front wrote
/// (<c>schedule.txt</c> in the host directory: one run per line, <c>features order back-batch requests</c>), and for each
/// run waits for the ring file <c>run&lt;i&gt;</c>, attaches with that variant and serves the run's requests, publishing at
/// most back-batch responses at a time (0: everything published), busy-polling. Prints each run's publications.
/// </summary>
internal sealed class RingWorkloadsPeerCommand : IHarnessCommand
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);

    public string Name => "ringworkloads-peer";

    public string Summary => "(internal) the back of ringworkloads";

    public int Run(string[] args)
    {
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: ringworkloads-peer HOST   (started by ringworkloads)");
            return 64;
        }

        var host = new HostDirectory(args[0]);
        string[] schedule = File.ReadAllLines(host.GetFilePath(RingScheduleSession.ScheduleName));
        PeerProcess.SignalReady();
        for (int run = 0; run < schedule.Length; run++)
        {
            long[] fields = [.. schedule[run].Split(' ').Select(f => long.Parse(f, CultureInfo.InvariantCulture))];
            var variant = new RingVariant((RingFeatures)fields[0], (int)fields[1], RingSlotKind.Network);
            using BackRing<NetifTxRequest, NetifTxResponse> ring = RingFile
                .WaitAndAttachVariantAsync<NetifTxRequest, NetifTxResponse>(host, RingScheduleSession.RunName(run), variant, s_limit)
                .GetAwaiter().GetResult();
            long publications = Serve(ring, fields[3], fields[2] == 0 ? int.MaxValue : (int)fields[2]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {run} publications={publications}"));
        }

        return 0;
    }

    /// <summary>Serves <paramref name="requests"/> requests, at most <paramref name="batch"/> per publication; returns the publications.</summary>
    // Fully optimised from the first run, so that every run of the schedule executes the same machine code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long Serve(BackRing<NetifTxRequest, NetifTxResponse> ring, long requests, int batch)
    {
        var handler = default(EchoHandler);
        var poll = new BusyPoll(s_limit);
        long served = 0;
        long publications = 0;
        while (served < requests)
        {
            int n = ring.ServeRequests(ref handler, (int)Math.Min(batch, requests - served));
            served += n;
            if (handler.Refused is NetifTxRequest bad)
            {
                throw new InvalidOperationException($"Invalid request {served}: {NetifTxRequestValidator.Describe(bad)}.");
            }

            if (n != 0)
            {
                publications++;
                poll.Progress();
            }
            else
            {
                poll.Idle("requests");
            }
        }

        return publications;
    }
}
