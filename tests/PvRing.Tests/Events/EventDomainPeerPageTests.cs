// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Events;

namespace PvRing.Tests.Events;

/// <summary>
/// A long-lived domain (a listener's) that binds to peer after peer, each a new domain that then leaves, keeps a bounded
/// number of peer pages mapped: a peer's page is unmapped once no channel to it is left (after a short grace period).
/// The soak found this: one event page descriptor and mapping leaked per connection.
/// </summary>
public sealed class EventDomainPeerPageTests
{
    [Fact]
    public void Release_LastChannelToEachOfManyPeers_PeerPagesUnmapped()
    {
        using var host = new TempHost();
        using EventDomain listener = EventDomain.Create(host.Host, 1);
        const int Peers = 30;
        for (ushort peer = 2; peer < 2 + Peers; peer++)
        {
            using EventDomain front = EventDomain.Create(host.Host, peer);
            using EventChannel offered = front.AllocateUnbound(1);
            using EventChannel bound = listener.BindInterdomain(peer, offered.Port);
            bound.Notify();
            Assert.Equal(EventWaitResult.Signaled, offered.Wait(ChannelPair.Bound));
        }

        Assert.True(PeerPagesOpen(host, Peers) > 0, "the listener should still map some of the pages just after its peers left (the grace period)");

        // Every later release sweeps the retired pages whose grace period is over: at most the newest stay mapped.
        using EventDomain last = EventDomain.Create(host.Host, 200);
        bool bounded = SpinWait.SpinUntil(
            () =>
            {
                using EventChannel offered = last.AllocateUnbound(1);
                using (listener.BindInterdomain(200, offered.Port))
                {
                }

                return PeerPagesOpen(host, Peers) == 0;
            },
            TimeSpan.FromSeconds(10));
        Assert.True(bounded, $"{PeerPagesOpen(host, Peers)} peer event pages are still open after {Peers} peers left");
    }

    /// <summary>Descriptors of this process open on the event pages of the peers that left (domains 2 to 1 + <paramref name="peers"/>).</summary>
    private static int PeerPagesOpen(TempHost host, int peers)
    {
        var names = Enumerable.Range(2, peers).Select(d => $"evtchn-{d}").ToHashSet();
        int open = 0;
        foreach (string fd in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue;
            }

            if (target is not null && target.StartsWith(host.Host.Path, StringComparison.Ordinal)
                && names.Contains(Path.GetFileName(target.Replace(" (deleted)", string.Empty, StringComparison.Ordinal))))
            {
                open++;
            }
        }

        return open;
    }
}
