// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using PvRing.Bus;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Rings;
using PvRing.Store;
using PvRing.Tests.Infrastructure;
using PvRing.Tests.Store;
using PvRing.Transport;

namespace PvRing.Tests.Transport;

/// <summary>
/// Store mode keeps named files (arena, grant table, event pages, flush page) that any process of the user can
/// truncate. The survivor, another process asleep waiting to receive, checks the files it will read when it wakes and
/// ends its wait with the library's clear <see cref="PvRingException"/>, not a SIGBUS (exit 134) or a hang; it gives the
/// file its length back first, so its own teardown (closing ports, unpinning grants) cannot fault either.
/// </summary>
public sealed class NetStoreTruncationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private static readonly XenBusOptions s_bus = new() { Timeout = TimeSpan.FromSeconds(10) };

    // survivor | its wait | grant mode | the file this process (the survivor's peer) truncates while the survivor sleeps
    public static TheoryData<string, string, string, string> Cases => new()
    {
        { "back", "sync", "copy", "arena-1" },
        { "back", "sync", "copy", "gnttab-1" },
        { "back", "sync", "copy", "evtchn-0" },
        { "back", "sync", "copy", "evtchn-1" },
        { "back", "sync", "deferred", "gntflush-1-0" },
        { "back", "async", "copy", "arena-1" },
        { "back", "async", "copy", "evtchn-0" },
        { "back", "async", "copy", "evtchn-1" },
        { "front", "sync", "copy", "arena-1" },
        { "front", "sync", "copy", "gnttab-1" },
        { "front", "sync", "copy", "evtchn-1" },
        { "front", "sync", "copy", "evtchn-0" },
        { "front", "async", "copy", "gnttab-1" },
        { "front", "async", "copy", "evtchn-1" },
        { "front", "sync", "deferred", "gntflush-1-0" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Wait_PeerTruncatesANamedFileWhileAsleep_ClearErrorNotSigbus(string survivor, string wait, string mode, string file)
    {
        await using var store = StoreTestHost.Start();
        using var memory = new TempHost();
        XenStoreClient toolstack = await store.ConnectAsync();
        var device = new XenBusDevice("vif", 1, 0, 0);
        await device.CreateAsync(toolstack, StoreTestHost.Bounded());
        var features = new NetDeviceFeatures(RingFeatures.None, 0, SplitEventChannels: false, mode == "copy" ? NetGrantModes.Copy : NetGrantModes.DeferredUnmap);
        using ChildProcess peer = ChildProcess.StartPeer("net-asleep", survivor, store.SocketPath, memory.Path, wait, mode);
        Assert.Equal("connected", peer.ReadLine(s_bound));

        // This process is the other end, in process: one packet to the survivor, which then sleeps waiting for the next.
        GrantDomain? grants = null;
        NetFrontend? front = null;
        NetBackend? back = null;
        EventDomain events = EventDomain.Create(memory.Host, survivor == "back" ? 1 : 0);
        try
        {
            EventChannel channel;
            if (survivor == "back")
            {
                grants = GrantDomain.Create(memory.Host, 1, NetFrontend.DomainOptionsFor(features));
                XenStoreClient frontStore = await store.ConnectAsync(domainId: 1);
                front = await NetFrontend.ConnectAsync(frontStore, device, grants, events, new NetFrontendOptions { Wants = features, Bus = s_bus }, StoreTestHost.Bounded());
                Assert.True(front.Queue.TrySend(new byte[64]), "no room for one packet on a fresh queue");
                channel = front.Queue.TransmitChannel;
            }
            else
            {
                back = await NetBackend.ConnectAsync(toolstack, device, memory.Host, events, new NetBackendOptions { Offers = features, Bus = s_bus }, StoreTestHost.Bounded());
                NetBackQueue queue = back.Queue;
                Assert.True(SpinWait.SpinUntil(() => queue.TrySend(new byte[64]), s_bound), "the front never posted a receive buffer");
                channel = queue.TransmitChannel;
            }

            Assert.Equal("ready", peer.ReadLine(s_bound));
            string survivorPage = memory.FilePath(EventPageLayout.FileName(survivor == "back" ? 0 : 1));
            Assert.True(SpinWait.SpinUntil(() => peer.HasExited || IsAsleep(survivorPage, channel.RemotePort, wait == "async"), s_bound), "the survivor never went to sleep");
            Assert.False(peer.HasExited, "the survivor exited before the truncation");

            // The words above go up just before the sleep: a survivor preempted in between would still read the page when
            // it runs again. Every one of its threads blocked in the kernel means none is on its way to a read.
            Assert.True(SpinWait.SpinUntil(() => peer.HasExited || peer.AllThreadsBlocked(), s_bound), "the survivor never blocked");

            // Through a descriptor of our own: the survivor removes its own files when it closes, and the length it leaves
            // is read from this one.
            using SafeFileHandle truncated = File.OpenHandle(memory.FilePath(file), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            long mapped = RandomAccess.GetLength(truncated);
            RandomAccess.SetLength(truncated, 0);

            // Wake the survivor, unless the file is an event page: this process must not touch its own truncated page, and
            // the survivor's sleep wakes on its own for the peer check (every 200 ms) anyway.
            if (!file.StartsWith("evtchn-", StringComparison.Ordinal))
            {
                channel.Notify();
            }

            int exit = peer.WaitForExit(s_bound);
            long after = RandomAccess.GetLength(truncated);
            if (after < mapped)
            {
                RandomAccess.SetLength(truncated, mapped); // so that this process's own teardown cannot fault, whatever the survivor did
            }

            string said = peer.Output;
            Assert.True(exit == 1, $"exit code {exit} (134 is SIGABRT after the fatal AccessViolationException of a SIGBUS): {said}");
            Assert.Contains("error: PvRingException: The shared file was truncated under its mapping", said, StringComparison.Ordinal);
            Assert.Contains($"{file}, length=0, mapped={mapped}", said, StringComparison.Ordinal);
            Assert.True(after == mapped, $"the survivor left the file at {after} bytes, not its mapped {mapped}: {said}");
        }
        finally
        {
            output.WriteLine($"survivor ({survivor}, {wait}, {mode}, {file}):\n{peer.Output}");
            if (front is not null)
            {
                await front.DisposeAsync();
            }

            if (back is not null)
            {
                await back.DisposeAsync();
            }

            grants?.Dispose();
            events.Dispose();
        }
    }

    /// <summary>
    /// Whether the port's waiters word in the survivor's event page is up (a sync or async waiter announced its sleep) and,
    /// for an async wait, the domain's dispatcher sleeps too (it wakes once when a wait with a deadline arms, and a round
    /// it runs reads the page: a truncation then is the hot-path window no check can close).
    /// </summary>
    private static bool IsAsleep(string pagePath, int port, bool dispatcherToo)
    {
        using var page = new FileStream(pagePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return Word(page, EventPageLayout.PortTableOffset + (port * EventPageLayout.PortEntrySize) + EventPageLayout.PortWaitersOffset) != 0
            && (!dispatcherToo || Word(page, EventPageLayout.DispatcherSleepersOffset) != 0);
    }

    private static uint Word(FileStream page, long offset)
    {
        var word = new byte[4];
        page.Position = offset;
        page.ReadExactly(word);
        return BinaryPrimitives.ReadUInt32LittleEndian(word);
    }
}
