// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Platform;

namespace PvRing.Events;

/// <content>Telling a peer that died from one that is merely slow or closed.</content>
public sealed partial class EventChannel
{
    /// <summary>
    /// Throws <see cref="PeerGoneException"/> when the process at the other end has died (its recorded pid and start time
    /// no longer run), whether or not a wait noticed. Unlike the waits' check, a peer that closed its event domain in order
    /// and still runs is not gone by this test: it tells a crash from a close.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The channel was closed.</exception>
    public void ThrowIfPeerProcessDied()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        EventPage? remote = Volatile.Read(ref _remote);
        if (remote is null)
        {
            // The allocating end learns the binder's page on first use, as the dispatcher's sweep does.
            PortBinding binding = ReadBinding();
            if (binding.State == PortState.Interdomain)
            {
                Attach(binding);
            }

            remote = Volatile.Read(ref _remote);
        }

        if (remote is not null && !PlatformServices.Liveness.IsAlive(remote.Owner))
        {
            throw new PeerGoneException(_remoteDomainId, remote.Owner.ProcessId);
        }
    }

    private void ThrowIfPeerGone()
    {
        EventPage? remote = Volatile.Read(ref _remote);
        if (remote is not null && (!remote.IsLive || !PlatformServices.Liveness.IsAlive(remote.Owner)))
        {
            throw new PeerGoneException(_remoteDomainId, remote.Owner.ProcessId);
        }
    }
}
