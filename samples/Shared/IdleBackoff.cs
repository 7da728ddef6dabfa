// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;

namespace PvRing.Samples;

/// <summary>
/// What a polling side does when a round made no progress: spin a little (<c>pause</c>), then yield the CPU;
/// and a watchdog that reports when no progress has been made for the timeout, so a dead peer never hangs
/// the survivor. (The C peer in tests/conformance uses the same policy, so ring figures compare.)
/// </summary>
internal struct IdleBackoff
{
    private const int SpinRounds = 64;
    private const int ClockCheckMask = 0xFFF;

    private readonly long _timeoutTicks;
    private uint _idleRounds;
    private long _idleSince;

    public IdleBackoff(TimeSpan timeout)
    {
        _timeoutTicks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        _idleRounds = 0;
        _idleSince = 0;
    }

    /// <summary>A round made progress: start spinning again from the beginning.</summary>
    public void Progress()
    {
        _idleRounds = 0;
        _idleSince = 0;
    }

    /// <summary>A round made no progress: spin or yield. Returns false once the timeout has passed idle.</summary>
    public bool Idle()
    {
        if (++_idleRounds < SpinRounds)
        {
            Thread.SpinWait(1);
            return true;
        }

        Thread.Yield();
        if ((_idleRounds & ClockCheckMask) != 0)
        {
            return true;
        }

        long now = Stopwatch.GetTimestamp();
        if (_idleSince == 0)
        {
            _idleSince = now;
            return true;
        }

        return now - _idleSince < _timeoutTicks;
    }
}
