// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Platform;

namespace PvRing.Tests.Platform;

public sealed class CpuAffinityTests
{
    [Fact]
    public void PinCurrentThread_LastCpu_ThreadRunsOnlyThere()
    {
        int target = Environment.ProcessorCount - 1;
        int seen = -1;
        IReadOnlyList<int>? allowed = null;
        var thread = new Thread(() =>
        {
            CpuAffinity.PinCurrentThread(target);
            allowed = CpuAffinity.GetCurrentThreadAffinity();
            seen = CpuAffinity.GetCurrentCpu();
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)));
        Assert.Equal([target], allowed);
        Assert.Equal(target, seen);
    }

    [Fact]
    public void PinCurrentThread_Empty_ThrowsArgumentException() => Assert.Throws<ArgumentException>(() => CpuAffinity.PinCurrentThread());

    [Fact]
    public void PinCurrentThread_OfflineCpu_ThrowsPvRingException()
    {
        var thread = new Thread(() => Assert.Throws<PvRingException>(() => CpuAffinity.PinCurrentThread(1000)));
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)));
    }
}
