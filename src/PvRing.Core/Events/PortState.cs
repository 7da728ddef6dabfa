// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Events;

/// <summary>The state byte of a port binding (Xen's <c>ECS_*</c>, reduced to what interdomain channels need).</summary>
internal enum PortState : byte
{
    /// <summary>Not allocated (<c>ECS_FREE</c>).</summary>
    Free = 0,

    /// <summary>Allocated for one remote domain, waiting for it to bind (<c>ECS_UNBOUND</c>).</summary>
    Unbound = 1,

    /// <summary>Connected to a remote (domid, port) (<c>ECS_INTERDOMAIN</c>).</summary>
    Interdomain = 2,

    /// <summary>The remote end closed the channel; waiters get <see cref="EventWaitResult.ChannelClosed"/>.</summary>
    PeerClosed = 3,
}
