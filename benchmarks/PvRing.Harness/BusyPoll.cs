// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace PvRing.Harness;

/// <summary>
/// What a pinned, busy-polling side does when a round made no progress: one <c>pause</c> (it never yields or
/// sleeps, since it owns its CPU), and a watchdog that throws once no progress has been made for the timeout, so
/// a dead peer never hangs the survivor. The clock is read only every 65,536 idle rounds.
/// </summary>
internal struct BusyPoll
{
    private const uint ClockCheckMask = 0xFFFF;

    private readonly long _timeoutTicks;
    private uint _idleRounds;
    private long _idleSince;

    public BusyPoll(TimeSpan timeout)
    {
        _timeoutTicks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        _idleRounds = 0;
        _idleSince = 0;
    }

    /// <summary>A round made progress: the idle clock starts again.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Progress()
    {
        _idleRounds = 0;
        _idleSince = 0;
    }

    /// <summary>A round made no progress: pause once.</summary>
    /// <param name="what">What the side waits for, for the exception's message.</param>
    /// <exception cref="TimeoutException">No progress for the timeout.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Idle(string what)
    {
        Thread.SpinWait(1);
        if ((++_idleRounds & ClockCheckMask) == 0)
        {
            CheckClock(what);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CheckClock(string what)
    {
        long now = Stopwatch.GetTimestamp();
        if (_idleSince == 0)
        {
            _idleSince = now;
        }
        else if (now - _idleSince >= _timeoutTicks)
        {
            throw new TimeoutException($"No progress for {(double)_timeoutTicks / Stopwatch.Frequency:0} s waiting for {what}.");
        }
    }
}
