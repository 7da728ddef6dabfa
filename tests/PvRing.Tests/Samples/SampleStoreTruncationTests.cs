// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using PvRing.Bus;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Rings;
using PvRing.Store;
using PvRing.Tests.Infrastructure;
using PvRing.Transport;

namespace PvRing.Tests.Samples;

/// <summary>
/// The real back end (PvRing.Rx in store mode, hosting the store) asleep waiting for the first packet while its front
/// end (this process) truncates its arena: Rx refuses the front with the library's clear error (its error node) and exits 1,
/// not with a SIGBUS (exit 134) or an unhandled exception on its pump thread.
/// </summary>
public sealed class SampleStoreTruncationTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Rx_FrontTruncatesItsArenaWhileRxSleeps_ClearErrorExit1NotSigbus()
    {
        using var host = new TempHost();
        string socket = host.FilePath("xenstored.sock");
        using ChildProcess rx = ChildProcess.StartDotnet(
            "PvRing.Rx", "--store", socket, "--host", host.Path, "--count", "1000", "--direction", "tx", "--grant-mode", "copy", "--timeout", "30");
        Assert.True(SpinWait.SpinUntil(() => rx.Output.Contains("Rx: device vif") || rx.HasExited, s_bound), rx.Output);

        var features = new NetDeviceFeatures(RingFeatures.None, 0, SplitEventChannels: false, NetGrantModes.Copy);
        using var lifetime = new CancellationTokenSource(s_bound);
        XenStoreClient store = await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket, DomainId = 1 }, lifetime.Token);
        using GrantDomain grants = GrantDomain.Create(host.Host, 1, NetFrontend.DomainOptionsFor(features));
        using EventDomain events = EventDomain.Create(host.Host, 1);
        NetFrontend front = await NetFrontend.ConnectAsync(
            store, new XenBusDevice("vif", 1, 0, 0), grants, events, new NetFrontendOptions { Wants = features, Bus = new XenBusOptions { Timeout = TimeSpan.FromSeconds(5) } }, lifetime.Token);
        EventChannel channel = front.Queue.TransmitChannel;
        string backPage = host.FilePath(EventPageLayout.FileName(0));
        Assert.True(SpinWait.SpinUntil(() => rx.HasExited || IsAsleep(backPage, channel.RemotePort), s_bound), "Rx never went to sleep: " + rx.Output);
        Assert.False(rx.HasExited, rx.Output);
        Assert.True(SpinWait.SpinUntil(() => rx.HasExited || rx.AllThreadsBlocked(), s_bound), "Rx never blocked: " + rx.Output);

        using SafeFileHandle arena = File.OpenHandle(host.FilePath(GrantTableLayout.ArenaFileName(1)), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        long mapped = RandomAccess.GetLength(arena);
        RandomAccess.SetLength(arena, 0);
        channel.Notify();

        int exit = rx.WaitForExit(s_bound);
        if (RandomAccess.GetLength(arena) < mapped)
        {
            RandomAccess.SetLength(arena, mapped); // so that this process's teardown cannot fault, whatever Rx did
        }

        Assert.True(exit == 1, $"exit code {exit} (134 is SIGABRT after the fatal AccessViolationException of a SIGBUS): {rx.Output}");
        Assert.Contains("The shared file was truncated under its mapping", rx.Output, StringComparison.Ordinal);
        Assert.Contains($"arena-1, length=0, mapped={mapped}", rx.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", rx.Output);

        // Rx hosted the store and is gone: this front's close cannot reach it; the library's error then is expected.
        try
        {
            await front.DisposeAsync();
            await store.DisposeAsync();
        }
        catch (PvRingException)
        {
        }
    }

    private static bool IsAsleep(string pagePath, int port)
    {
        var word = new byte[4];
        using var page = new FileStream(pagePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        page.Position = EventPageLayout.PortTableOffset + (port * EventPageLayout.PortEntrySize) + EventPageLayout.PortWaitersOffset;
        page.ReadExactly(word);
        return BinaryPrimitives.ReadUInt32LittleEndian(word) != 0;
    }
}
