// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Transport;

namespace PvRing.Tests.Connections;

/// <summary>The application API's options: each bad value is refused before anything starts, naming what is wrong.</summary>
public sealed class PvRingOptionsTests
{
    public static TheoryData<string> BadConnectionOptions() => ["two grant modes", "ring order 5", "no grant mode", "zero timeout", "negative spin count"];

    [Theory]
    [MemberData(nameof(BadConnectionOptions))]
    public async Task ConnectAsync_BadOption_ArgumentOutOfRangeNamingItBeforeConnecting(string which)
    {
        using var host = new TempHost();
        NetDeviceFeatures wants = new PvRingConnectionOptions().Wants;
        (PvRingConnectionOptions options, string parameter) = which switch
        {
            "two grant modes" => (new PvRingConnectionOptions { Host = host.Host, Wants = wants with { GrantModes = NetGrantModes.Copy | NetGrantModes.Map } }, "Wants"),
            "ring order 5" => (new PvRingConnectionOptions { Host = host.Host, Wants = wants with { RingPageOrder = 5 } }, "RingPageOrder"),
            "no grant mode" => (new PvRingConnectionOptions { Host = host.Host, Wants = wants with { GrantModes = NetGrantModes.None } }, "GrantModes"),
            "zero timeout" => (new PvRingConnectionOptions { Host = host.Host, ConnectTimeout = TimeSpan.Zero }, "ConnectTimeout"),
            _ => (new PvRingConnectionOptions { Host = host.Host, SpinCount = -1 }, "SpinCount"),
        };

        // Refused at once: no listener is needed to find out, and nothing is left in the host directory.
        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => PvRingConnection.ConnectAsync("nobody", options));
        Assert.Equal(parameter, e.ParamName);
        Assert.Empty(Directory.GetFileSystemEntries(host.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task StartAsync_BadOptions_RefusedNamingThem()
    {
        using var host = new TempHost();
        var timeout = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            PvRingListener.StartAsync("x", new PvRingListenerOptions { Host = host.Host, NegotiationTimeout = TimeSpan.FromSeconds(-1) }));
        Assert.Equal("NegotiationTimeout", timeout.ParamName);

        var order = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            PvRingListener.StartAsync("x", new PvRingListenerOptions { Host = host.Host, Offers = NetDeviceFeatures.All with { RingPageOrder = 9 } }));
        Assert.Equal("RingPageOrder", order.ParamName);

        var store = await Assert.ThrowsAsync<ArgumentException>(() =>
            PvRingListener.StartAsync("x", new PvRingListenerOptions { Host = host.Host, StoreSocket = "relative/xs.sock" }));
        Assert.Equal("StoreSocket", store.ParamName);
        Assert.Contains("full path", store.Message, StringComparison.Ordinal);

        await Assert.ThrowsAsync<ArgumentException>(() => PvRingListener.StartAsync("bad/name", new PvRingListenerOptions { Host = host.Host }));
    }
}
