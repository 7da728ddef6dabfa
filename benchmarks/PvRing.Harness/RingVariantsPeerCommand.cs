// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.Runtime.CompilerServices;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Rx;

namespace PvRing.Harness;

/// <summary>
/// The back of <c>ringvariants</c> (started by it, pinned with taskset): for each run of the schedule, waits for the
/// front's ring file <c>run&lt;i&gt;</c>, attaches with that run's variant, and serves exactly the run's requests with
/// the ring's batch serve API, busy-polling; validates each copied request and answers it with its id and OKAY.
/// </summary>
/// <remarks>
/// Arguments: <c>HOST ORDER REQUESTS FEATURES</c>, where <c>REQUESTS</c> is each run's total (warm-up included)
/// and <c>FEATURES</c> the comma-separated <see cref="RingFeatures"/> values of the runs, in order.
/// </remarks>
internal sealed class RingVariantsPeerCommand : IHarnessCommand
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);

    public string Name => "ringvariants-peer";

    public string Summary => "(internal) the back of ringvariants";

    public int Run(string[] args)
    {
        if (args.Length != 4)
        {
            Console.Error.WriteLine("usage: ringvariants-peer HOST ORDER REQUESTS FEATURES,...   (started by ringvariants)");
            return 64;
        }

        var host = new HostDirectory(args[0]);
        int order = int.Parse(args[1], CultureInfo.InvariantCulture);
        long requests = long.Parse(args[2], CultureInfo.InvariantCulture);
        RingFeatures[] schedule = args[3].Split(',').Select(f => (RingFeatures)int.Parse(f, CultureInfo.InvariantCulture)).ToArray();

        long served = 0;
        for (int run = 0; run < schedule.Length; run++)
        {
            var variant = new RingVariant(schedule[run], order, RingSlotKind.Network);
            using BackRing<NetifTxRequest, NetifTxResponse> ring = RingFile
                .WaitAndAttachVariantAsync<NetifTxRequest, NetifTxResponse>(host, RingVariantsCommand.RunName(run), variant, s_limit)
                .GetAwaiter().GetResult();
            Serve(ring, requests);
            served += requests;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"result: runs={schedule.Length} served={served}"));
        return 0;
    }

    /// <summary>
    /// The back's batch policy (as PvRing.Rx's): copy out every request published, validate and answer each, publish
    /// once (<see cref="BackRing{TRequest, TResponse}.ServeRequests"/>); poll when the ring is dry.
    /// </summary>
    // Fully optimised from the first run, so that every run of the schedule executes the same machine code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Serve(BackRing<NetifTxRequest, NetifTxResponse> ring, long requests)
    {
        var handler = default(EchoHandler);
        var poll = new BusyPoll(s_limit);
        long served = 0;
        while (served < requests)
        {
            int n = ring.ServeRequests(ref handler, (int)Math.Min(int.MaxValue, requests - served));
            served += n;
            if (handler.Refused is NetifTxRequest bad)
            {
                ThrowInvalidRequest(served, bad);
            }

            if (n != 0)
            {
                poll.Progress();
            }
            else
            {
                poll.Idle("requests");
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInvalidRequest(long sequence, NetifTxRequest request) =>
        throw new InvalidOperationException($"Invalid request {sequence}: {NetifTxRequestValidator.Describe(request)}.");
}
