// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Transport;

namespace PvRing.Extensions.DependencyInjection;

/// <summary>
/// Serves one accepted connection of a server registered with
/// <c>AddPvRingServer&lt;THandler&gt;(name, ...)</c>: resolved from a new service scope for every connection, called once,
/// on a thread-pool thread of its own, while other connections are served at once.
/// </summary>
/// <remarks>
/// The server owns the connection: it disposes it (closing it in order, see <see cref="PvRingConnection.DisposeAsync"/>)
/// after <see cref="OnConnectedAsync"/> returns or throws and the scope is disposed, so do not dispose it here. A handler
/// that throws is logged and its connection closed; the server goes on accepting. When the host stops,
/// the token <see cref="OnConnectedAsync"/> gets is cancelled: pass it to <c>SendAsync</c> and <c>ReceiveAsync</c> and return
/// soon after; a handler still running when the host's shutdown timeout ends is left running, and its connection open
/// (disposing it under a handler still reading its rings would unmap memory in use), with a warning.
/// </remarks>
public interface IPvRingConnectionHandler
{
    /// <summary>Serves <paramref name="connection"/> until the peer closes it (a receive returns 0) or the server stops.</summary>
    /// <param name="connection">The accepted back end of the connection; the server disposes it afterwards.</param>
    /// <param name="cancellationToken">Cancelled when the host stops.</param>
    Task OnConnectedAsync(PvRingConnection connection, CancellationToken cancellationToken);
}
