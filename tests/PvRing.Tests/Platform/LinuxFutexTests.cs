// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Platform;

namespace PvRing.Tests.Platform;

public sealed unsafe class LinuxFutexTests
{
    [Fact]
    public void Wait_WordDiffers_ReturnsValueChangedAtOnce()
    {
        uint word = 5;
        Assert.Equal(FutexWaitResult.ValueChanged, new LinuxFutex().Wait(&word, 4, 10_000));
    }

    [Fact]
    public void Wait_NobodyWakes_TimesOut()
    {
        uint word = 5;
        Assert.Equal(FutexWaitResult.TimedOut, new LinuxFutex().Wait(&word, 5, 10));
    }

    [Fact]
    public void Wake_NoSleepers_ReturnsZero()
    {
        uint word = 0;
        Assert.Equal(0, new LinuxFutex().Wake(&word, int.MaxValue));
    }
}
