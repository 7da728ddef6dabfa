// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Logging;

namespace PvRing.Store;

/// <summary>
/// The store's lifecycle events (event ids 100-199: the server's 100-119, the client's 120-139), for the
/// <see cref="ILogger"/> in <see cref="XenStoreServerOptions.Logger"/> or <see cref="XenStoreClientOptions.Logger"/>.
/// </summary>
internal static partial class StoreLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "xenstore: connection {Connection} from pid {ProcessId}")]
    public static partial void Connected(ILogger logger, long connection, int processId);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "xenstore: connection {Connection} (domain {Domain}) closed")]
    public static partial void Disconnected(ILogger logger, long connection, int domain);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "xenstore: refusing a connection: {Count} connections is the limit")]
    public static partial void ConnectionLimit(ILogger logger, int count);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "xenstore: connection {Connection}: payload of {Length} bytes refused")]
    public static partial void PayloadRefused(ILogger logger, long connection, uint length);

    [LoggerMessage(EventId = 104, Level = LogLevel.Debug, Message = "xenstore: connection {Connection}: {Operation} refused: {Reason}")]
    public static partial void RequestRefused(ILogger logger, long connection, string operation, string reason);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "xenstore: connection {Connection} (pid {ProcessId}) is domain {Domain}")]
    public static partial void Restricted(ILogger logger, long connection, int processId, int domain);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "xenstore: domain {Domain} introduced")]
    public static partial void DomainIntroduced(ILogger logger, int domain);

    [LoggerMessage(EventId = 107, Level = LogLevel.Information, Message = "xenstore: domain {Domain} released")]
    public static partial void DomainReleased(ILogger logger, int domain);

    [LoggerMessage(EventId = 108, Level = LogLevel.Warning, Message = "xenstore: connection {Connection}: more than {Limit} unread watch events; dropping it")]
    public static partial void WatchBacklog(ILogger logger, long connection, int limit);

    [LoggerMessage(EventId = 109, Level = LogLevel.Information, Message = "xenstore: connection {Connection}: process {ProcessId} is gone")]
    public static partial void ProcessGone(ILogger logger, long connection, int processId);

    [LoggerMessage(EventId = 110, Level = LogLevel.Error, Message = "xenstore: connection {Connection}: internal error, connection dropped")]
    public static partial void InternalError(ILogger logger, long connection, Exception exception);

    [LoggerMessage(EventId = 120, Level = LogLevel.Debug, Message = "xenstore: transaction {Transaction} conflicted (attempt {Attempt}); retrying")]
    public static partial void TransactionConflict(ILogger logger, uint transaction, int attempt);

    [LoggerMessage(EventId = 121, Level = LogLevel.Information, Message = "xenstore client: connection ended: {Reason}")]
    public static partial void ClientEnded(ILogger logger, string reason);
}
