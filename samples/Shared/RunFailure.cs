// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Bus;

namespace PvRing.Samples;

/// <summary>
/// How a packet run (store mode or byte mode, either sample) ends on a failure: one message and the documented exit code.
/// An interruption stays each program's own (its exit code depends on the mode).
/// </summary>
internal static class RunFailure
{
    /// <summary>Whether <paramref name="error"/> ends a run with a message and an exit code (anything else is a bug).</summary>
    public static bool IsReported(Exception error) => error is TimeoutException or PvRingException or ArgumentException;

    /// <summary>
    /// Prints what ended <paramref name="side"/>'s run and returns its exit code: 1 a protocol failure or a refused
    /// negotiation, 2 a timeout or the peer or the store gone, 64 a packet the negotiated features do not allow.
    /// </summary>
    public static int Report(string side, Exception error)
    {
        (string message, int code) = error switch
        {
            XenBusNegotiationException e => ($"{side}: negotiation failed: {e.Message}", e.IsRefused || e.InnerException is PvRingProtocolException ? 1 : 2),
            PvRingProtocolException e => ($"{side}: protocol failure: {e.Message}", 1),
            ArgumentException e => ($"error: {e.Message}", SampleArguments.UsageExitCode),
            _ => ($"{side}: {error.Message}", 2), // a timeout, the store's connection closed, the peer gone
        };
        Console.Error.WriteLine(message);
        return code;
    }
}
