// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PvRing.Extensions.DependencyInjection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers PvRing listeners and connections: named settings (bound from configuration or set in code, validated when
/// the host starts), and <see cref="IPvRingListenerFactory"/> / <see cref="IPvRingConnectionFactory"/> singletons that
/// start or connect by name with loggers from the container.
/// </summary>
/// <example>
/// <code>
/// services.AddLogging();
/// services.AddPvRingListener("demo", configuration.GetSection("PvRing:Listeners:demo"));
/// services.AddPvRingConnection("demo", settings => settings.Queues = 2);
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
