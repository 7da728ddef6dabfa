// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Harness;

/// <summary>What one series of round trips cost besides its time, per round trip (NaN where a mode has nothing to count).</summary>
/// <param name="NotificationsPerMessage">Event channel notifications the front sent.</param>
/// <param name="SystemCallsPerMessage">Futex system calls the front's channel made (wakes on notify, waits when it slept).</param>
/// <param name="CpuSecondsPerMessage">CPU time of both processes, all threads, user and system.</param>
internal readonly record struct RoundTripCounts(double NotificationsPerMessage, double SystemCallsPerMessage, double CpuSecondsPerMessage);
