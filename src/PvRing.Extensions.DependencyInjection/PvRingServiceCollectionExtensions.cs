// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PvRing.Extensions.DependencyInjection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers PvRing listeners and connections: named settings (bound from configuration or set in code, validated when
/// the host starts), <see cref="IPvRingListenerFactory"/> / <see cref="IPvRingConnectionFactory"/> singletons that
/// start or connect by name with loggers from the container, and servers: listeners run by the generic host that hand
/// each connection to an <see cref="IPvRingConnectionHandler"/>.
/// </summary>
/// <example>
/// <code>
/// services.AddLogging();
/// services.AddPvRingListener("demo", configuration.GetSection("PvRing:Listeners:demo"));
/// services.AddPvRingConnection("demo", settings => settings.Queues = 2);
/// services.AddPvRingServer&lt;EchoHandler&gt;("echo", settings => settings.MaxQueues = 1); // runs with the host
/// // later
/// await using PvRingConnection connection = await provider.GetRequiredService&lt;IPvRingConnectionFactory&gt;().ConnectAsync("demo", token);
/// </code>
/// </example>
public static class PvRingServiceCollectionExtensions
{
    /// <summary>Registers the settings of the listener called <paramref name="name"/>, set by <paramref name="configure"/>.</summary>
    public static IServiceCollection AddPvRingListener(this IServiceCollection services, string name, Action<PvRingListenerSettings> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        AddListenerCore(services, name).Configure(configure);
        return services;
    }

    /// <summary>Registers the settings of the listener called <paramref name="name"/>, bound from <paramref name="configuration"/>.</summary>
    public static IServiceCollection AddPvRingListener(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        AddListenerCore(services, name).Bind(configuration);
        return services;
    }

    /// <summary>Registers the settings for connecting to the listener called <paramref name="name"/>, set by <paramref name="configure"/>.</summary>
    public static IServiceCollection AddPvRingConnection(this IServiceCollection services, string name, Action<PvRingConnectionSettings> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        AddConnectionCore(services, name).Configure(configure);
        return services;
    }

    /// <summary>Registers the settings for connecting to the listener called <paramref name="name"/>, bound from <paramref name="configuration"/>.</summary>
    public static IServiceCollection AddPvRingConnection(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        AddConnectionCore(services, name).Bind(configuration);
        return services;
    }

    /// <summary>
    /// Registers <see cref="IPvRingConnectionFactory"/> and <see cref="IPvRingListenerFactory"/> alone (the other methods
    /// call it); names connected to without settings of their own get the defaults.
    /// </summary>
    public static IServiceCollection AddPvRingConnectionFactory(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions();
        services.TryAddSingleton<PvRingFactories>();
        services.TryAddSingleton<IPvRingConnectionFactory>(static provider => provider.GetRequiredService<PvRingFactories>());
        services.TryAddSingleton<IPvRingListenerFactory>(static provider => provider.GetRequiredService<PvRingFactories>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PvRingListenerSettings>, SettingsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PvRingConnectionSettings>, SettingsValidator>());
        return services;
    }

    /// <summary>
    /// Registers a server: a hosted service (<see cref="IHostedService"/>) that starts the listener called
    /// <paramref name="name"/> when the host starts, with the settings registered for that name (by
    /// <see cref="AddPvRingListener(IServiceCollection, string, IConfiguration)"/>, or the defaults), and hands every
    /// connection it accepts to a <typeparamref name="THandler"/> resolved from a service scope of that connection's own.
    /// </summary>
    /// <remarks>
    /// <typeparamref name="THandler"/> is registered as scoped unless it is registered already. Connections are served at
    /// once, each on its own task; a handler that throws is logged (event 303) and its connection closed, and the server
    /// goes on. The server disposes each connection after its handler returns. When the host stops, the server stops
    /// accepting, cancels the handlers' token and waits for them as long as the host's shutdown timeout
    /// (<c>HostOptions.ShutdownTimeout</c>) allows, then disposes the listener; a listener that cannot start fails the
    /// host's start. Logs go to the category <c>PvRing.Extensions.DependencyInjection.PvRingServer</c>.
    /// </remarks>
    /// <typeparam name="THandler">The connection handler.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The name front ends connect to.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    public static IServiceCollection AddPvRingServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IServiceCollection services, string name)
        where THandler : class, IPvRingConnectionHandler
    {
        AddListenerCore(services, name);
        AddServerCore<THandler>(services, name);
        return services;
    }

    /// <summary>
    /// Registers a server (see <see cref="AddPvRingServer{THandler}(IServiceCollection, string)"/>) whose listener's settings
    /// <paramref name="configure"/> sets.
    /// </summary>
    /// <typeparam name="THandler">The connection handler.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The name front ends connect to.</param>
    /// <param name="configure">Sets the listener's settings.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="configure"/> is null.</exception>
    public static IServiceCollection AddPvRingServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IServiceCollection services, string name, Action<PvRingListenerSettings> configure)
        where THandler : class, IPvRingConnectionHandler
    {
        ArgumentNullException.ThrowIfNull(configure);
        AddListenerCore(services, name).Configure(configure);
        AddServerCore<THandler>(services, name);
        return services;
    }

    /// <summary>
    /// Registers a server (see <see cref="AddPvRingServer{THandler}(IServiceCollection, string)"/>) whose listener's settings
    /// are bound from <paramref name="configuration"/>.
    /// </summary>
    /// <typeparam name="THandler">The connection handler.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The name front ends connect to.</param>
    /// <param name="configuration">The listener's settings (the keys of <see cref="PvRingListenerSettings"/>).</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="configuration"/> is null.</exception>
    public static IServiceCollection AddPvRingServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IServiceCollection services, string name, IConfiguration configuration)
        where THandler : class, IPvRingConnectionHandler
    {
        ArgumentNullException.ThrowIfNull(configuration);
        AddListenerCore(services, name).Bind(configuration);
        AddServerCore<THandler>(services, name);
        return services;
    }

    private static void AddServerCore<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(IServiceCollection services, string name)
        where THandler : class, IPvRingConnectionHandler
    {
        services.TryAddScoped<THandler>();
        // One hosted service per call (a factory registration, so two servers with one handler type are two services).
        services.AddSingleton<IHostedService>(provider => new PvRingServer(
            name,
            typeof(THandler),
            provider.GetRequiredService<IPvRingListenerFactory>(),
            provider.GetRequiredService<IServiceScopeFactory>(),
            static scoped => scoped.GetRequiredService<THandler>(),
            provider.GetService<ILoggerFactory>()?.CreateLogger<PvRingServer>() ?? NullLogger<PvRingServer>.Instance));
    }

    private static OptionsBuilder<PvRingListenerSettings> AddListenerCore(IServiceCollection services, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        services.AddPvRingConnectionFactory();
        return services.AddOptions<PvRingListenerSettings>(name).ValidateOnStart();
    }

    private static OptionsBuilder<PvRingConnectionSettings> AddConnectionCore(IServiceCollection services, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        services.AddPvRingConnectionFactory();
        return services.AddOptions<PvRingConnectionSettings>(name).ValidateOnStart();
    }
}
