// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Platform;

namespace PvRing.Tests.Platform;

public sealed class ProcessLivenessTests
{
    [Fact]
    public void IsAlive_CurrentProcess_True()
    {
        var liveness = new LinuxProcessLiveness();
        Assert.True(liveness.IsAlive(liveness.Current));
    }

    [Fact]
    public void IsAlive_SamePidOtherStartTime_False()
    {
        var liveness = new LinuxProcessLiveness();
        Assert.False(liveness.IsAlive(liveness.Current with { StartTime = liveness.Current.StartTime + 1 }));
    }

    [Fact]
    public void IsAlive_NonPositivePid_False() => Assert.False(new LinuxProcessLiveness().IsAlive(new ProcessIdentity(0, 0)));

    [Fact]
    public void TryParseStat_CommandWithParenthesesAndSpaces_ReadsStateAndStartTime()
    {
        byte[] stat = "42 (a) b (c) Z 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 987654 23 24\n"u8.ToArray();
        Assert.True(LinuxProcessLiveness.TryParseStat(stat, out char state, out ulong start));
        Assert.Equal('Z', state);
        Assert.Equal(987654UL, start);
    }
}
