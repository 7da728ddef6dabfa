// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Transport;

/// <summary>The teardown both device shells share: stop following the peer, close the bus end, report a fatal error.</summary>
internal static class NetDeviceLifetime
{
    /// <summary>
    /// Stops following the peer first (so our answer to its close, Closing, can never land after our Closed), then closes
    /// the bus end (Closing, wait bounded for the peer, Closed). A peer that is gone or silent leaves nobody to agree with.
    /// </summary>
    public static async Task CloseAsync(CancellationTokenSource stopFollowing, Task peerGone, Func<Task> closeBus)
    {
        await stopFollowing.CancelAsync().ConfigureAwait(false);
        await peerGone.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            await closeBus().ConfigureAwait(false);
        }
        catch (PvRingException)
        {
            // The peer is gone or did not answer within the timeout.
        }
    }

    /// <summary>Writes <c>error</c> and Closing through <paramref name="fail"/>; a store that is gone leaves nobody to read it.</summary>
    public static async Task FailAsync(Exception error, Func<string, Task> fail)
    {
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            await fail(error.Message).ConfigureAwait(false);
        }
        catch (PvRingException)
        {
            // The store is gone: nobody is left to read the error.
        }
    }
}
