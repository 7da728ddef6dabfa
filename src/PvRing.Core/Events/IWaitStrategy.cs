// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Events;

/// <summary>
/// How a waiter passes the time between polls of its event before (perhaps) sleeping in the kernel.
/// Implemented by <c>struct</c>s so that <see cref="EventChannel.Wait{TWait}(TWait, TimeSpan, CancellationToken)"/>,
/// constrained <c>where TWait : struct, IWaitStrategy</c>, is specialised by the JIT: no interface call per poll.
/// </summary>
public interface IWaitStrategy
{
    /// <summary>
    /// Called after the <paramref name="iteration"/>-th unsuccessful poll (counting from 0). Pauses briefly and
    /// returns true to poll again, or returns false to go to sleep in the kernel until notified.
    /// </summary>
    bool Pause(int iteration);
}
