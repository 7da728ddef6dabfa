// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Globalization;
using PvRing.Tests.Infrastructure;
using PvRing.Events;
using PvRing.Rings;
using PvRing.TestPeer;

namespace PvRing.Tests.Rings;

/// <summary>
/// Ring-file mode keeps its named file (C peers open it by path), so a peer can truncate it: a survivor asleep on the ring
/// checks the file's size when it wakes and stops with a clear error instead of dying of SIGBUS.
/// </summary>
public sealed class RingFileTruncationTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("serve-block", 0L)]
    [InlineData("serve-block", 4096L)]
    [InlineData("serve-async", 0L)]
    public void WaitForRequests_PeerTruncatesTheRingFileWhileAsleep_ClearErrorNotSigbus(string mode, long truncatedLength)
    {
        using var host = new TempHost();
        using EventDomain domain = EventDomain.Create(host.Host, 1);
        using EventChannel channel = domain.AllocateUnbound(0);
        using FrontRing<SequencedRequest, SequencedResponse> front = RingFile.Create<SequencedRequest, SequencedResponse>(host.Host, "ring", RingVariant.Classic(1));
        front.Notifier = channel;
        using var peer = ChildProcess.StartPeer(
            "ring-events", mode, host.Host.Path, "ring", "1", channel.Port.ToString(CultureInfo.InvariantCulture), "1000",
            s_bound.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        Assert.Equal("ready", peer.ReadLine(s_bound));

        // One request answered, then the back sleeps on its channel (its port's waiter count is up): it will touch the
        // ring again only after it wakes.
        front.ProduceRequest(new SequencedRequest { Sequence = 0, Payload = 3 });
        if (front.PushRequestsAndCheckNotify())
        {
            channel.Notify();
        }

        Assert.True(SpinWait.SpinUntil(() => front.TryConsumeResponse(out _), s_bound), "the back never answered");
        string backPage = host.Host.GetFilePath(EventPageLayout.FileName(0));
        Assert.True(SpinWait.SpinUntil(() => BackIsAsleep(backPage, channel.RemotePort), s_bound), "the back never went to sleep");

        // The hostile front truncates the ring file and wakes the back.
        using (var file = new FileStream(host.Host.GetFilePath("ring"), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            file.SetLength(truncatedLength);
        }

        channel.Notify();
        int exit = peer.WaitForExit(s_bound);
        string errors = peer.Output;
        Assert.True(exit == 1, $"exit code {exit} (134 is SIGABRT after the fatal AccessViolationException of a SIGBUS): {errors}");
        Assert.Contains("PvRingException: The shared file was truncated under its mapping", errors, StringComparison.Ordinal);
        Assert.Contains($"length={truncatedLength}, mapped=8192", errors, StringComparison.Ordinal);
    }

    private static bool BackIsAsleep(string pagePath, int port)
    {
        var word = new byte[4];
        using var page = new FileStream(pagePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        page.Position = EventPageLayout.PortTableOffset + (port * EventPageLayout.PortEntrySize) + EventPageLayout.PortWaitersOffset;
        page.ReadExactly(word);
        return BinaryPrimitives.ReadUInt32LittleEndian(word) != 0;
    }
}
