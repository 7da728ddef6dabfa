// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Grants;
using PvRing.Memory;

namespace PvRing.TestPeer;

/// <summary>
/// The far end of the cross-process grant tests: <c>grant &lt;mode&gt; HOST MY_DOMID PEER_DOMID [ITERATIONS]</c>.
/// <c>check</c>: open the peer's grants (the test granted <see cref="GrantFixture"/>'s entries) and run every
/// validation, exit 1 on a failure. <c>front</c>: grant the fixture's entries, print "ready", stay until the
/// test creates <c>grant-done</c> (at most 30 s). <c>race-front</c> / <c>race-back</c>: one half of the revocation race.
/// </summary>
internal sealed class GrantPeerVerb : IPeerVerb
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(30);

    public string Name => "grant";

    public int Run(string[] args)
    {
        string mode = args[0];
        var host = new HostDirectory(args[1]);
        ushort me = ushort.Parse(args[2], CultureInfo.InvariantCulture);
        ushort peer = ushort.Parse(args[3], CultureInfo.InvariantCulture);
        switch (mode)
        {
            case "check":
            {
                using ForeignDomain foreign = ForeignDomain.Open(host, me, peer);
                uint[] refs = [8, 9, 10, 11, 12];
                int failures = GrantFixture.Check(host, foreign, refs, Console.Out);
                Console.WriteLine($"checked failures={failures}");
                return failures == 0 ? 0 : 1;
            }

            case "front":
            {
                using GrantDomain front = GrantDomain.Create(host, me, new GrantDomainOptions { ArenaFrames = 16, GrantTablePages = 1 });
                uint[] refs = GrantFixture.Grant(host, front, peer);
                Console.WriteLine($"ready {string.Join(',', refs)}");
                Console.Out.Flush();
                return SpinWait.SpinUntil(() => host.Exists("grant-done"), s_limit) ? 0 : 2;
            }

            case "race-front":
            {
                int iterations = int.Parse(args[4], CultureInfo.InvariantCulture);
                using GrantDomain front = GrantDomain.Create(host, me, new GrantDomainOptions { ArenaFrames = 16, GrantTablePages = 1 });
                Console.WriteLine("ready");
                Console.Out.Flush();
                Console.WriteLine(GrantFixture.RunRaceFront(host, front, peer, iterations, s_limit));
                return 0;
            }

            case "race-back":
            {
                if (!SpinWait.SpinUntil(() => host.Exists($"gnttab-{peer}"), s_limit))
                {
                    return 2;
                }

                using ForeignDomain foreign = ForeignDomain.Open(host, me, peer);
                int violations = GrantFixture.RunRaceBack(host, foreign, s_limit, Console.Out);
                return violations == 0 ? 0 : 1;
            }

            default:
                Console.Error.WriteLine($"unknown mode '{mode}'");
                return 64;
        }
    }
}
