// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Tests.Infrastructure;
using PvRing.Grants;
using PvRing.TestPeer;

namespace PvRing.Tests.Grants;

/// <summary>The grant rules and the revocation race with a real second process in each role.</summary>
public sealed class GrantCrossProcessTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(60);

    [Fact]
    public void Validation_PeerIsBack_EveryRuleHolds()
    {
        using var host = new TempHost();
        using GrantDomain front = GrantDomain.Create(host.Host, 1, new GrantDomainOptions { ArenaFrames = 16, GrantTablePages = 1 });
        uint[] refs = GrantFixture.Grant(host.Host, front, 0);
        Assert.Equal([8u, 9, 10, 11, 12], refs);
        using ChildProcess peer = ChildProcess.StartPeer("grant", "check", host.Path, "0", "1");
        peer.AssertExit(0, s_bound);
    }

    [Fact]
    public void Validation_PeerIsFront_EveryRuleHolds()
    {
        using var host = new TempHost();
        using ChildProcess peer = ChildProcess.StartPeer("grant", "front", host.Path, "1", "0");
        Assert.True(SpinWait.SpinUntil(() => peer.Output.Contains("ready", StringComparison.Ordinal) || peer.HasExited, s_bound), peer.Output);
        using (ForeignDomain foreign = ForeignDomain.Open(host.Host, 0, 1))
        {
            var log = new StringWriter();
            Assert.True(GrantFixture.Check(host.Host, foreign, [8, 9, 10, 11, 12], log) == 0, log.ToString());
        }

        File.WriteAllText(host.FilePath("grant-done"), "done");
        peer.AssertExit(0, s_bound);
    }

    [Fact]
    public void RevocationRace_PeerIsFront_NoAccessOverlapsAReclaimedPage()
    {
        using var host = new TempHost();
        using ChildProcess peer = ChildProcess.StartPeer("grant", "race-front", host.Path, "1", "0", Iterations);
        Assert.True(SpinWait.SpinUntil(() => host.Host.Exists("gnttab-1") || peer.HasExited, s_bound), peer.Output);
        int violations;
        var log = new StringWriter();
        using (ForeignDomain foreign = ForeignDomain.Open(host.Host, 0, 1))
        {
            violations = GrantFixture.RunRaceBack(host.Host, foreign, s_bound, log);
        }

        peer.AssertExit(0, s_bound);
        Assert.True(violations == 0, log.ToString());
        Assert.DoesNotContain("maps=0 ", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("front iterations=" + Iterations, peer.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void RevocationRace_PeerIsBack_NoAccessOverlapsAReclaimedPage()
    {
        using var host = new TempHost();
        using GrantDomain front = GrantDomain.Create(host.Host, 1, new GrantDomainOptions { ArenaFrames = 16, GrantTablePages = 1 });
        using ChildProcess peer = ChildProcess.StartPeer("grant", "race-back", host.Path, "0", "1");
        Assert.True(SpinWait.SpinUntil(() => host.Host.Exists("grant-back-ready") || peer.HasExited, s_bound), peer.Output);
        string summary = GrantFixture.RunRaceFront(host.Host, front, 0, int.Parse(Iterations, CultureInfo.InvariantCulture), s_bound);
        peer.AssertExit(0, s_bound);
        Assert.Contains("violations=0", peer.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("maps=0 ", peer.Output, StringComparison.Ordinal);
        Assert.StartsWith("front iterations=", summary, StringComparison.Ordinal);
    }

    private static string Iterations => (2000 * Math.Max(2, Environment.ProcessorCount)).ToString(CultureInfo.InvariantCulture);
}
