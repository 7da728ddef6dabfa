// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Events;

/// <content>The port's binding word: reading and validating what the peer wrote, attaching to the peer's page, closing.</content>
public sealed partial class EventChannel
{
    /// <summary>Binds a freshly created channel to the peer page it was bound to (the binder's side).</summary>
    internal void AttachBound(EventPage remote, int remotePort)
    {
        _remote = remote;
        _remotePort = remotePort;
        _boundBinding = new PortBinding(PortState.Interdomain, _remoteDomainId, (uint)remotePort).Value;
    }

    private PortBinding ReadBinding() => Validate(Volatile.Read(ref _local.Binding(_port)));

    /// <summary>Checks a binding word of our own port, which the peer writes when it binds or closes.</summary>
    private PortBinding Validate(ulong value)
    {
        if (!PortBinding.IsWellFormed(value))
        {
            ThrowProtocol($"Malformed binding of port {_port} in domain {DomainId}: raw=0x{value:X16}.");
        }

        PortBinding binding = PortBinding.FromValue(value);
        if (binding.State == PortState.Free)
        {
            ThrowProtocol($"Port {_port} of domain {DomainId} was freed under an open channel: remoteDomid={_remoteDomainId}.");
        }

        if (binding.RemoteDomainId != _remoteDomainId)
        {
            ThrowProtocol($"Port {_port} of domain {DomainId} names the wrong peer: remoteDomid={binding.RemoteDomainId}, expected={_remoteDomainId}.");
        }

        int knownPort = Volatile.Read(ref _remotePort);
        if (knownPort != 0 && binding.State != PortState.Unbound && binding.RemotePort != knownPort)
        {
            ThrowProtocol($"Port {_port} of domain {DomainId} was rebound: remotePort={binding.RemotePort}, expected={knownPort}.");
        }

        return binding;
    }

    /// <summary>Maps the peer's page and checks that its port points back at us (the allocator's side, on first use).</summary>
    private void Attach(PortBinding binding)
    {
        if (Volatile.Read(ref _boundBinding) == binding.Value)
        {
            return;
        }

        lock (_attachLock)
        {
            if (_boundBinding == binding.Value)
            {
                return;
            }

            EventPage remote = _domain.GetPeerPage(_remoteDomainId);
            int remotePort = (int)binding.RemotePort;
            ulong back = Volatile.Read(ref remote.Binding(remotePort));
            var expected = new PortBinding(PortState.Interdomain, DomainId, (uint)_port);
            if (back != expected.Value && PortBinding.FromValue(back) != expected with { State = PortState.PeerClosed })
            {
                ThrowProtocol($"Port {remotePort} of domain {_remoteDomainId} does not point back to port {_port} of domain {DomainId}: {PortBinding.FromValue(back)}.");
            }

            _remote = remote;
            _remotePort = remotePort;

            // Release: the remote page and port are visible before the binding that lets Notify use them.
            Volatile.Write(ref _boundBinding, binding.Value);
        }
    }

    private void CloseBinding()
    {
        ref ulong own = ref _local.Binding(_port);
        ulong value = Volatile.Read(ref own);
        var unbound = new PortBinding(PortState.Unbound, _remoteDomainId, 0);
        if (value == unbound.Value && Interlocked.CompareExchange(ref own, 0, value) == value)
        {
            ClearPort();
            return;
        }

        // Either bound or the peer bound it just now; tell the peer unless the binding is garbage.
        value = Volatile.Read(ref own);
        PortBinding binding = PortBinding.IsWellFormed(value) ? PortBinding.FromValue(value) : default;
        if (binding.State == PortState.Interdomain && binding.RemoteDomainId == _remoteDomainId)
        {
            try
            {
                EventPage remote = _remote ?? _domain.GetPeerPage(_remoteDomainId);
                int remotePort = (int)binding.RemotePort;
                ulong bound = new PortBinding(PortState.Interdomain, DomainId, (uint)_port).Value;
                ulong closed = new PortBinding(PortState.PeerClosed, DomainId, (uint)_port).Value;

                // The PeerClosed state is written (compare-exchange, full barrier) before the pending bit that wakes
                // the peer, so a peer that consumes the event reads PeerClosed.
                if (Interlocked.CompareExchange(ref remote.Binding(remotePort), closed, bound) == bound && !remote.TestAndSetPending(remotePort))
                {
                    _stats.SenderSystemCalls += Deliver(remote, remotePort);
                }
            }
            catch (Exception e) when (e is PvRingException or IOException)
            {
                // The peer's page is gone or invalid: there is nobody to tell.
            }
        }

        ClearPort();
    }

    private void ClearPort()
    {
        ulong bit = 1UL << (_port & 63);
        Interlocked.And(ref _local.PendingWord(_port >> 6), ~bit);
        Interlocked.And(ref _local.MaskWord(_port >> 6), ~bit);

        // Release: pending and mask are clear before the free binding lets the port be allocated again.
        Volatile.Write(ref _local.Binding(_port), 0UL);
    }
}
