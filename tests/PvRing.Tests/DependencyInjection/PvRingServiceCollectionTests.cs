// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PvRing.Tests.Connections;
using PvRing.Tests.Infrastructure;
using PvRing.Extensions.DependencyInjection;
using PvRing.Transport;

namespace PvRing.Tests.DependencyInjection;

/// <summary>
/// The DI registration: a ServiceProvider built from an in-memory configuration starts a listener and connects to it by
/// name, settings bound from the configuration, loggers from the container, bad settings refused at startup.
/// </summary>
public sealed class PvRingServiceCollectionTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ListenerAndConnection_FromConfiguration_ExchangePacketsWithTheBoundSettings()
    {
        using var host = new TempHost();
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PvRing:Listeners:di-demo:HostPath"] = host.Path,
            ["PvRing:Listeners:di-demo:MaxQueues"] = "2",
            ["PvRing:Listeners:di-demo:NegotiationTimeout"] = "00:00:20",
            ["PvRing:Connections:di-demo:HostPath"] = host.Path,
            ["PvRing:Connections:di-demo:SpinCount"] = "500",
            ["PvRing:Connections:di-demo:GrantMode"] = "Copy",
            ["PvRing:Connections:di-demo:RingPageOrder"] = "1",
        }).Build();
        var log = new ListLogger();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(new ListLoggerProvider(log)).SetMinimumLevel(LogLevel.Debug));
        services.AddPvRingListener("di-demo", configuration.GetSection("PvRing:Listeners:di-demo"));
        services.AddPvRingConnection("di-demo", configuration.GetSection("PvRing:Connections:di-demo"));
        await using ServiceProvider provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        provider.GetRequiredService<IStartupValidator>().Validate();

        using var timeout = new CancellationTokenSource(s_bound);
        await using PvRingListener listener = await provider.GetRequiredService<IPvRingListenerFactory>().StartAsync("di-demo", timeout.Token);
        Task<PvRingConnection> connecting = provider.GetRequiredService<IPvRingConnectionFactory>().ConnectAsync("di-demo", timeout.Token);
        await using PvRingConnection back = await listener.AcceptAsync(timeout.Token).AsTask().WaitAsync(s_bound);
        await using PvRingConnection front = await connecting.WaitAsync(s_bound);

        Assert.Equal(1, front.Features.Queues);
        Assert.Equal(NetGrantModes.Copy, front.Features.GrantModes);
        Assert.Equal(1, front.Features.RingPageOrder);
        byte[] packet = [1, 2, 3, 4, 5];
        var buffer = new byte[16];
        await front.SendAsync(packet, timeout.Token);
        Assert.Equal(packet.Length, await back.ReceiveAsync(buffer, timeout.Token).AsTask().WaitAsync(s_bound));
        Assert.Equal(packet, buffer[..packet.Length]);
        await back.SendAsync(packet, timeout.Token);
        Assert.Equal(packet.Length, await front.ReceiveAsync(buffer, timeout.Token).AsTask().WaitAsync(s_bound));

        // The container's loggers got the lifecycle events: listening (1), accepted (2), connected (4).
        Assert.Contains(1, log.EventIds);
        Assert.Contains(2, log.EventIds);
        Assert.Contains(4, log.EventIds);
    }

    [Fact]
    public void Settings_OutOfRange_FailAtStartup()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Connections:bad:Queues"] = "0",
            ["Connections:bad:ConnectTimeout"] = "00:00:05",
        }).Build();
        var services = new ServiceCollection();
        services.AddPvRingConnection("bad", configuration.GetSection("Connections:bad"));
        using ServiceProvider provider = services.BuildServiceProvider();

        OptionsValidationException invalid = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Equal("bad", invalid.OptionsName);
        Assert.Contains("Queues", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_InCode_AreTheOnesTheFactoryUses_AndUnnamedConnectionsGetTheDefaults()
    {
        var services = new ServiceCollection();
        services.AddPvRingConnection("coded", settings =>
        {
            settings.Queues = 3;
            settings.ConnectTimeout = TimeSpan.FromSeconds(2);
        });
        using ServiceProvider provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        IOptionsMonitor<PvRingConnectionSettings> settings = provider.GetRequiredService<IOptionsMonitor<PvRingConnectionSettings>>();
        PvRingConnectionOptions coded = settings.Get("coded").ToOptions(null);
        Assert.Equal(3, coded.Wants.Queues);
        Assert.Equal(TimeSpan.FromSeconds(2), coded.ConnectTimeout);
        PvRingConnectionOptions other = settings.Get("other").ToOptions(null);
        Assert.Equal(PvRingConnectionOptions.DefaultWants, other.Wants);
        Assert.Same(provider.GetRequiredService<IPvRingConnectionFactory>(), provider.GetRequiredService<IPvRingListenerFactory>());
    }
}
