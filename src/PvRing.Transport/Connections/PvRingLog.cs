// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Logging;

namespace PvRing.Transport;

/// <summary>The lifecycle events of listeners and connections, for an <see cref="ILogger"/> the options give.</summary>
internal static partial class PvRingLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "PvRing listener '{Name}' listening in {Directory}")]
    public static partial void Listening(ILogger logger, string name, string directory);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "PvRing listener '{Name}' accepted the front end of domain {Domain}: {Features}")]
    public static partial void Accepted(ILogger logger, string name, int domain, NetDeviceFeatures features);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "PvRing listener '{Name}': the front end of domain {Domain} did not connect: {Reason}")]
    public static partial void FrontEndFailed(ILogger logger, string name, int domain, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "PvRing connection to '{Name}' connected as domain {Domain}: {Features}")]
    public static partial void Connected(ILogger logger, string name, int domain, NetDeviceFeatures features);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "PvRing connection ({Device}): the peer is gone")]
    public static partial void PeerGone(ILogger logger, string device);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "PvRing connection ({Device}): protocol error, connection failed: {Reason}")]
    public static partial void ProtocolError(ILogger logger, string device, string reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "PvRing connection ({Device}): {Placement}")]
    public static partial void Placed(ILogger logger, string device, string placement);
}
