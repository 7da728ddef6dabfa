// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Logging;

namespace PvRing.Bus;

/// <summary>XenBus lifecycle events (event ids 200-219), for the <see cref="ILogger"/> in <see cref="XenBusOptions.Logger"/>.</summary>
internal static partial class XenBusLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Debug, Message = "xenbus {Role}: {Path} -> {State}")]
    public static partial void StateChanged(ILogger logger, string role, string path, XenbusState state);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "xenbus back end: {Path} advertised and in InitWait")]
    public static partial void Advertised(ILogger logger, string path);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "xenbus front end: {Path} published {Negotiation} and is Initialised")]
    public static partial void Published(ILogger logger, string path, XenBusNegotiation negotiation);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "xenbus {Role}: refusing: {Reason}")]
    public static partial void Refusing(ILogger logger, string role, string reason);
}
