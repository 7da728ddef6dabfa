// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PvRing.Extensions.DependencyInjection;
using PvRing.TestPeer;
using PvRing.Tests.Connections;
using PvRing.Tests.Infrastructure;
using PvRing.Transport;

namespace PvRing.Tests.DependencyInjection;

/// <summary>
/// <c>AddPvRingServer&lt;THandler&gt;</c> in a generic host: the listener starts with the host, each connection goes to a
/// handler from a scope of its own, a handler that throws leaves the others served, and stopping the host with
/// connections open cancels their handlers and closes them (or, past the shutdown timeout, leaves them with a warning).
/// </summary>
public sealed class PvRingServerTests
{
    private const int Count = 2000;
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Server_FrontInAnotherProcess_HandlerExchangesCheckedPackets()
    {
        using var host = new TempHost();
        var probe = new ServerProbe();
        var log = new ListLogger();
        using var timeout = new CancellationTokenSource(s_bound);
        IHost app = BuildHost(log, probe, s_bound, services => services.AddPvRingServer<ReadmeHandler>("srv-readme", settings => settings.HostPath = host.Path));
        try
        {
            await app.StartAsync(timeout.Token).WaitAsync(s_bound);
            // The README's connecting side in a process of its own: Count checked packets each way with the handler.
            using ChildProcess front = ChildProcess.StartPeer("api-connect", "srv-readme", host.Path, Count.ToString(CultureInfo.InvariantCulture));
            front.AssertExit(0, s_bound);
            Assert.Contains($"front: {Count} packets each way, every one checked", front.Output);
            Assert.Equal(Count, await probe.Served.Task.WaitAsync(s_bound));

            await app.StopAsync(timeout.Token).WaitAsync(s_bound);
        }
        finally
        {
            await DisposeAsync(app);
        }

        // Started (300), accepted (301), closed after the handler returned (302), stopping (304), stopped (306); no failure.
        Assert.Superset(new HashSet<int> { 300, 301, 302, 304, 306 }, log.EventIds.ToHashSet());
        Assert.DoesNotContain(303, log.EventIds);
        Assert.DoesNotContain(305, log.EventIds);
    }

    [Fact]
    public async Task StopAsync_ConnectionOpen_CancelsTheHandlerAndClosesItsConnection()
    {
        using var host = new TempHost();
        var probe = new ServerProbe();
        var log = new ListLogger();
        using var timeout = new CancellationTokenSource(s_bound);
        IHost app = BuildHost(log, probe, s_bound, services =>
        {
            services.AddScoped<ScopeMarker>();
            services.AddPvRingServer<HoldHandler>("srv-hold", settings => settings.HostPath = host.Path);
        });
        try
        {
            await app.StartAsync(timeout.Token).WaitAsync(s_bound);
            // A front end in another process that connects and then neither sends nor closes.
            using ChildProcess holder = ChildProcess.StartPeer("api-hold", "srv-hold", host.Path);
            Assert.Equal("connected", holder.ReadLine(s_bound));
            await probe.Started.Task.WaitAsync(s_bound);

            await app.StopAsync(timeout.Token).WaitAsync(s_bound);

            Assert.True(probe.Cancelled.Task.IsCompletedSuccessfully, "the handler's receive was not cancelled by the stop");
            Assert.True(probe.ScopeDisposed.Task.IsCompletedSuccessfully, "the connection's scope was not disposed");
            Assert.Contains(log.Messages, m => m.Contains("stopping: 1 connection(s) open", StringComparison.Ordinal));
            Assert.Contains(302, log.EventIds); // the connection was closed by the server
            Assert.Contains(306, log.EventIds);
            Assert.DoesNotContain(303, log.EventIds); // a cancelled handler is not a failure
            Assert.DoesNotContain(305, log.EventIds);
            holder.Kill();
        }
        finally
        {
            await DisposeAsync(app);
        }
    }

    [Fact]
    public async Task Handler_Throws_OtherConnectionsAreStillServed()
    {
        using var host = new TempHost();
        var probe = new ServerProbe();
        var log = new ListLogger();
        using var timeout = new CancellationTokenSource(s_bound);
        IHost app = BuildHost(log, probe, s_bound, services => services.AddPvRingServer<ThrowOrEchoHandler>("srv-throw", settings => settings.HostPath = host.Path));
        var options = new PvRingConnectionOptions { Host = host.Host };
        try
        {
            await app.StartAsync(timeout.Token).WaitAsync(s_bound);
            await using PvRingConnection survivor = await PvRingConnection.ConnectAsync("srv-throw", options, timeout.Token).WaitAsync(s_bound);
            await using PvRingConnection failing = await PvRingConnection.ConnectAsync("srv-throw", options, timeout.Token).WaitAsync(s_bound);
            var buffer = new byte[64];

            // The poisoned connection's handler throws: the server logs it and closes that connection (the front reads 0).
            await failing.SendAsync(ThrowOrEchoHandler.Poison, timeout.Token);
            Assert.Equal(0, await failing.ReceiveAsync(buffer, timeout.Token).AsTask().WaitAsync(s_bound));

            // The connection open beside it and one made afterwards are served.
            await AssertEchoedAsync(survivor, [1, 2, 3], buffer, timeout.Token);
            await using PvRingConnection later = await PvRingConnection.ConnectAsync("srv-throw", options, timeout.Token).WaitAsync(s_bound);
            await AssertEchoedAsync(later, [4, 5, 6, 7], buffer, timeout.Token);

            Assert.Contains(303, log.EventIds);
            Assert.Contains(log.Exceptions, e => e is InvalidOperationException && e.Message == ThrowOrEchoHandler.Planted);
            // One handler per connection, each from its own scope.
            Assert.Equal(3, probe.Handlers.Distinct().Count());

            await app.StopAsync(timeout.Token).WaitAsync(s_bound);
            Assert.DoesNotContain(305, log.EventIds);
        }
        finally
        {
            await DisposeAsync(app);
        }
    }

    [Fact]
    public async Task StopAsync_HandlerIgnoresTheToken_LeftRunningWithAWarningWhenTheShutdownTimeoutEnds()
    {
        using var host = new TempHost();
        var probe = new ServerProbe();
        var log = new ListLogger();
        using var timeout = new CancellationTokenSource(s_bound);
        IHost app = BuildHost(log, probe, TimeSpan.FromSeconds(1), services => services.AddPvRingServer<IgnoringHandler>("srv-ignore", settings => settings.HostPath = host.Path));
        try
        {
            await app.StartAsync(timeout.Token).WaitAsync(s_bound);
            await using PvRingConnection front = await PvRingConnection.ConnectAsync("srv-ignore", new PvRingConnectionOptions { Host = host.Host }, timeout.Token).WaitAsync(s_bound);
            await probe.Started.Task.WaitAsync(s_bound);

            // The host's shutdown timeout (1 s here) bounds the stop although the handler never returns on its own.
            await app.StopAsync(CancellationToken.None).WaitAsync(s_bound);
            Assert.Contains(305, log.EventIds);
            Assert.Contains(306, log.EventIds);
            Assert.DoesNotContain(302, log.EventIds); // its connection was not disposed under it
        }
        finally
        {
            probe.Release.TrySetResult();
            await DisposeAsync(app);
        }
    }

    private static async Task AssertEchoedAsync(PvRingConnection connection, byte[] packet, byte[] buffer, CancellationToken cancellationToken)
    {
        await connection.SendAsync(packet, cancellationToken);
        int length = await connection.ReceiveAsync(buffer, cancellationToken).AsTask().WaitAsync(s_bound);
        Assert.Equal(packet, buffer[..length]);
    }

    private static IHost BuildHost(ListLogger log, ServerProbe probe, TimeSpan shutdownTimeout, Action<IServiceCollection> register)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging(logging => logging.AddProvider(new ListLoggerProvider(log)).SetMinimumLevel(LogLevel.Debug));
        builder.Services.AddSingleton(probe);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = shutdownTimeout);
        register(builder.Services);
        return builder.Build();
    }

    private static async Task DisposeAsync(IHost app)
    {
        if (app is IAsyncDisposable asynchronous)
        {
            await asynchronous.DisposeAsync().AsTask().WaitAsync(s_bound);
        }
        else
        {
            app.Dispose();
        }
    }

    /// <summary>What the handlers saw, for the tests to check.</summary>
    public sealed class ServerProbe
    {
        public TaskCompletionSource<int> Served { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ScopeDisposed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentBag<object> Handlers { get; } = [];
    }

    /// <summary>The README's listening side: Count checked packets each way.</summary>
    public sealed class ReadmeHandler(ServerProbe probe) : IPvRingConnectionHandler
    {
        public async Task OnConnectedAsync(PvRingConnection connection, CancellationToken cancellationToken)
        {
            try
            {
                Task sending = Task.Run(async () => { for (long i = 0; i < Count; i++) { await connection.SendAsync(ApiPackets.Make(i), cancellationToken); } }, cancellationToken);
                var buffer = new byte[ApiPackets.MaxSize];
                for (long i = 0; i < Count; i++)
                {
                    ApiPackets.Check(buffer.AsSpan(0, await connection.ReceiveAsync(buffer, cancellationToken)), i);
                }

                await sending;
                probe.Served.TrySetResult(Count);
            }
            catch (Exception e)
            {
                probe.Served.TrySetException(e);
                throw;
            }
        }
    }

    /// <summary>A scoped service that says when its scope ends.</summary>
    public sealed class ScopeMarker(ServerProbe probe) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            probe.ScopeDisposed.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Waits for a packet that never comes, until the host stops.</summary>
    public sealed class HoldHandler(ServerProbe probe, ScopeMarker marker) : IPvRingConnectionHandler
    {
        public async Task OnConnectedAsync(PvRingConnection connection, CancellationToken cancellationToken)
        {
            GC.KeepAlive(marker);
            probe.Started.TrySetResult();
            try
            {
                await connection.ReceiveAsync(new byte[64], cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                probe.Cancelled.TrySetResult();
                throw;
            }
        }
    }

    /// <summary>Echoes every packet until the peer closes; throws on the poison packet.</summary>
    public sealed class ThrowOrEchoHandler(ServerProbe probe) : IPvRingConnectionHandler
    {
        public const string Planted = "planted handler failure";

        public static readonly byte[] Poison = [0xFF];

        public async Task OnConnectedAsync(PvRingConnection connection, CancellationToken cancellationToken)
        {
            probe.Handlers.Add(this);
            var buffer = new byte[NetPacketLimits.MaxPacketSize];
            int length;
            while ((length = await connection.ReceiveAsync(buffer, cancellationToken)) > 0)
            {
                if (buffer.AsSpan(0, length).SequenceEqual(Poison))
                {
                    throw new InvalidOperationException(Planted);
                }

                await connection.SendAsync(buffer.AsMemory(0, length), cancellationToken);
            }
        }
    }

    /// <summary>Ignores the token: returns only when the test releases it.</summary>
    public sealed class IgnoringHandler(ServerProbe probe) : IPvRingConnectionHandler
    {
        public async Task OnConnectedAsync(PvRingConnection connection, CancellationToken cancellationToken)
        {
            probe.Started.TrySetResult();
            await probe.Release.Task;
        }
    }
}
