// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Platform;

/// <summary>
/// A kernel wait on a 32-bit word of shared memory: sleep while the word holds an expected value, and wake
/// the sleepers of a word. Linux has <c>futex(2)</c>; Windows (<c>WaitOnAddress</c> only works inside one
/// process) and macOS (<c>os_sync_wait_on_address</c> with the shared flag) will add their own.
/// </summary>
internal unsafe interface IFutex
{
    /// <summary>
    /// Sleeps while <c>*address == expected</c>, at most <paramref name="timeoutMilliseconds"/>.
    /// Returns <see cref="FutexWaitResult.Woken"/> when woken (or interrupted: callers re-check anyway),
    /// <see cref="FutexWaitResult.ValueChanged"/> when the word did not hold <paramref name="expected"/>, and
    /// <see cref="FutexWaitResult.TimedOut"/> when the timeout expired.
    /// </summary>
    FutexWaitResult Wait(uint* address, uint expected, int timeoutMilliseconds);

    /// <summary>Wakes up to <paramref name="count"/> sleepers on the word; returns how many were woken.</summary>
    int Wake(uint* address, int count);
}
