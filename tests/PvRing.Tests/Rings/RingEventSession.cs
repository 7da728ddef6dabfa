// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Tests.Infrastructure;
using PvRing.Events;
using PvRing.Rings;
using PvRing.TestPeer;

namespace PvRing.Tests.Rings;

/// <summary>
/// This process as the front (domain 1) of a ring file whose back is the test peer's <c>ring-events</c> role
/// (domain 0) in a real second process, joined by an event channel the front allocates and the back binds.
/// </summary>
internal sealed class RingEventSession : IDisposable
{
    internal static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly TempHost _host = new();
    private readonly EventDomain _domain;

    internal RingEventSession(string mode, int order, long count)
    {
        _domain = EventDomain.Create(_host.Host, 1);
        Channel = _domain.AllocateUnbound(0);
        Front = RingFile.Create<SequencedRequest, SequencedResponse>(_host.Host, "ring", RingVariant.Classic(order));
        Front.Notifier = Channel;
        Peer = ChildProcess.StartPeer(
            "ring-events", mode, _host.Host.Path, "ring", "1", Channel.Port.ToString(CultureInfo.InvariantCulture),
            count.ToString(CultureInfo.InvariantCulture), Bound.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        Assert.Equal("ready", Peer.ReadLine(Bound));
    }

    internal EventChannel Channel { get; }

    internal FrontRing<SequencedRequest, SequencedResponse> Front { get; }

    internal ChildProcess Peer { get; }

    internal static SequencedRequest Request(ulong sequence) => new() { Sequence = sequence, Payload = sequence * 7 + 3 };

    /// <summary>Checks that <paramref name="response"/> answers request <paramref name="expected"/>.</summary>
    internal static void AssertAnswers(ulong expected, in SequencedResponse response)
    {
        if (response.Sequence != expected || response.Checksum != SequencedResponse.ChecksumOf(Request(expected)))
        {
            Assert.Fail($"response {expected} carries sequence {response.Sequence}, checksum {response.Checksum:X}: lost, duplicated or reordered");
        }
    }

    /// <summary>Reads the peer's closing "done ... sent=N ..." line and returns N, the notifications it sent.</summary>
    internal long ReadPeerNotificationsSent()
    {
        string line = Peer.ReadLine(Bound);
        Assert.StartsWith("done ", line, StringComparison.Ordinal);
        string sent = line.Split(' ').Single(field => field.StartsWith("sent=", StringComparison.Ordinal));
        return long.Parse(sent["sent=".Length..], CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        Peer.Dispose();
        Front.Dispose();
        Channel.Dispose();
        _domain.Dispose();
        _host.Dispose();
    }
}
