// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.TestPeer;

/// <summary>The random delays both sides of a stress test add between operations, shared by test and peer.</summary>
public static class StressWorkload
{
    /// <summary>Mostly no delay, sometimes a short spin, rarely a 1 ms sleep that forces the other side to block.</summary>
    public static void RandomDelay(Random random)
    {
        int roll = random.Next(10_000);
        if (roll < 3)
        {
            Thread.Sleep(1);
        }
        else if (roll < 1000)
        {
            Thread.SpinWait(random.Next(1, 2000));
        }
    }
}
