// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Logging;

namespace PvRing.Extensions.DependencyInjection;

/// <summary>The hosted server's log events (ids 300 and up; the listener's own are 1 to 7).</summary>
internal static partial class PvRingServerLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "PvRing server '{Name}' started: connections go to {Handler}")]
    public static partial void Started(ILogger logger, string name, string handler);

    [LoggerMessage(EventId = 301, Level = LogLevel.Debug, Message = "PvRing server '{Name}': connection {Connection} accepted ({Features})")]
    public static partial void Accepted(ILogger logger, string name, long connection, string features);

    [LoggerMessage(EventId = 302, Level = LogLevel.Debug, Message = "PvRing server '{Name}': connection {Connection} closed")]
    public static partial void Closed(ILogger logger, string name, long connection);

    [LoggerMessage(EventId = 303, Level = LogLevel.Error, Message = "PvRing server '{Name}': the handler of connection {Connection} failed; the connection is closed, the others go on")]
    public static partial void HandlerFailed(ILogger logger, string name, long connection, Exception exception);

    [LoggerMessage(EventId = 304, Level = LogLevel.Information, Message = "PvRing server '{Name}' stopping: {Count} connection(s) open")]
    public static partial void Stopping(ILogger logger, string name, int count);

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning, Message = "PvRing server '{Name}': {Count} handler(s) did not return before the host's shutdown timeout; their connections are left open")]
    public static partial void Abandoned(ILogger logger, string name, int count);

    [LoggerMessage(EventId = 306, Level = LogLevel.Information, Message = "PvRing server '{Name}' stopped")]
    public static partial void Stopped(ILogger logger, string name);

    [LoggerMessage(EventId = 307, Level = LogLevel.Warning, Message = "PvRing server '{Name}': closing connection {Connection} failed")]
    public static partial void CloseFailed(ILogger logger, string name, long connection, Exception exception);
}
