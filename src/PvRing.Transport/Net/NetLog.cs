// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Logging;

namespace PvRing.Transport;

/// <summary>The net devices' lifecycle events (event ids 20-39), for the <see cref="ILogger"/> in the XenBus options.</summary>
internal static partial class NetLog
{
    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "net back end {Device}: connected with {Features}")]
    public static partial void BackEndConnected(ILogger logger, string device, NetDeviceFeatures features);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "net back end {Device}: connected with {Features}, front on NUMA node {Node}")]
    public static partial void BackEndConnectedOnNode(ILogger logger, string device, NetDeviceFeatures features, int node);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "net front end {Device}: connected with {Features}")]
    public static partial void FrontEndConnected(ILogger logger, string device, NetDeviceFeatures features);
}
