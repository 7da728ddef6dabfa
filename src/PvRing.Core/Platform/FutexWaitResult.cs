// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Platform;

/// <summary>How a <see cref="IFutex.Wait"/> ended.</summary>
internal enum FutexWaitResult
{
    /// <summary>Woken by a wake call, or interrupted by a signal (callers re-check their condition).</summary>
    Woken,

    /// <summary>The word no longer held the expected value: the kernel did not sleep at all.</summary>
    ValueChanged,

    /// <summary>The timeout expired.</summary>
    TimedOut,
}
