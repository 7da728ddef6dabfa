// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Samples;

/// <summary>
/// <c>--wait</c>: what a side does when its ring is dry and the peer has an event channel. <c>spin</c> polls the
/// ring with pause instructions (a core at 100 %, no notifications); <c>yield</c> polls with <c>sched_yield</c>;
/// <c>block</c> (default) spins, yields, then arms the event index and sleeps until notified.
/// </summary>
internal enum WaitMode
{
    Block,
    Spin,
    Yield,
}
