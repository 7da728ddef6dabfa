// Licensed under the MIT License. See LICENSE in the repository root.

using System.Net.Sockets;
using PvRing.Bus;
using PvRing.Rings;
using PvRing.Store;
using PvRing.Transport;

namespace PvRing.Samples;

/// <summary>
/// What both samples share in store mode (<c>--store SOCKET</c>): the device they meet on, the feature switches
/// (<c>--split-indexes</c>, <c>--align-slot</c>, <c>--split-rings</c>, <c>--split-event-channels</c>, each
/// <c>on</c> or <c>off</c>, default on) and a bounded connect to a store that may not be listening yet.
/// </summary>
internal static class StoreMode
{
    public const int FrontDomainId = 1;
    public const int BackDomainId = 0;

    public static readonly string[] FeatureOptions = ["--split-indexes", "--align-slot", "--split-rings", "--split-event-channels", "--inline-data"];

    public const string FeatureUsage = """
          --split-indexes on|off         hackathon item B: each index pair on its own cache lines (default on)
          --align-slot on|off            hackathon item C: slots padded so none straddles a cache line (default on)
          --split-rings on|off           hackathon item I: separate request and response slot arrays (default on)
          --split-event-channels on|off  one event channel per ring (event-channel-tx/-rx) (default on)
          --inline-data on|off           packets of up to 112 bytes in their 128-byte ring slot, no page (default on; rings of 4+ pages)
        """;

    /// <summary>The vif both samples use: front end domain 1, back end domain 0, device 0.</summary>
    public static XenBusDevice Device { get; } = new("vif", FrontDomainId, BackDomainId, 0);

    /// <summary>The features the switches select, with <paramref name="order"/> as the ring page order.</summary>
    public static NetDeviceFeatures ParseFeatures(SampleArguments arguments, string usage, int order)
    {
        RingFeatures features = RingFeatures.None;
        if (arguments.GetSwitch("--split-indexes", usage))
        {
            features |= RingFeatures.SplitIndexes;
        }

        if (arguments.GetSwitch("--align-slot", usage))
        {
            features |= RingFeatures.AlignedSlots;
        }

        if (arguments.GetSwitch("--split-rings", usage))
        {
            features |= RingFeatures.SplitRings;
        }

        return new NetDeviceFeatures(features, order, arguments.GetSwitch("--split-event-channels", usage))
        {
            InlineData = arguments.GetSwitch("--inline-data", usage),
        };
    }

    /// <summary>One line saying what was negotiated and what the rings look like.</summary>
    public static string Describe(NetDeviceFeatures agreed, int transmitSlots, int receiveSlots) =>
        $"negotiated {agreed} ({agreed.Variant}; tx ring {transmitSlots} slots, rx ring {receiveSlots} slots, " +
        $"{(agreed.SplitEventChannels ? "event-channel-tx + event-channel-rx" : "one event-channel")})";

    /// <summary>Connects to the store at <paramref name="socket"/>, retrying while nobody listens there yet, for at most <paramref name="timeout"/>.</summary>
    /// <exception cref="TimeoutException">No store answered in time.</exception>
    public static async Task<XenStoreClient> ConnectAsync(string socket, int? domainId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        var options = new XenStoreClientOptions { SocketPath = socket, DomainId = domainId };
        while (true)
        {
            try
            {
                return await XenStoreClient.ConnectAsync(options, bounded.Token);
            }
            catch (Exception e) when (e is PvRingException or SocketException or IOException && !bounded.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), bounded.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"No store answered at {socket} within {timeout.TotalSeconds:0} s ({e.Message}).", e);
                }
            }
        }
    }

    /// <summary>Cancels <paramref name="stop"/> when the peer leaves (<paramref name="gone"/> ends), so the pumps' waits end at once instead of at their timeout.</summary>
    public static void StopWhenGone(Task gone, CancellationTokenSource stop) =>
        _ = gone.ContinueWith(
            static (_, state) =>
            {
                try
                {
                    ((CancellationTokenSource)state!).Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The session ended first: nothing left to stop.
                }
            },
            stop,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    /// <summary>
    /// The toolstack's part before each front end: introduce its domain (idempotent), remove what the previous front end
    /// and back end left in the device directories (ring references, choices, an error node), and create them afresh.
    /// </summary>
    public static async Task ResetDeviceAsync(XenStoreClient toolstack, CancellationToken cancellationToken)
    {
        await toolstack.IntroduceDomainAsync(FrontDomainId, cancellationToken);
        foreach (string path in new[] { Device.FrontendPath, Device.BackendPath })
        {
            try
            {
                await toolstack.RemoveAsync(path, cancellationToken);
            }
            catch (XenStoreException)
            {
                // Not there yet (the first front end): nothing to remove.
            }
        }

        await Device.CreateAsync(toolstack, cancellationToken);
    }
}
