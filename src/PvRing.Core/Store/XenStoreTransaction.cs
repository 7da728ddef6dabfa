// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Store;

/// <summary>
/// A store transaction: reads and writes act on a snapshot; <see cref="CommitAsync"/> applies them all or
/// fails with <c>EAGAIN</c> when another change conflicted, and the whole body must run again
/// (<see cref="XenStoreClient.RunTransactionAsync{T}"/> does that). Disposing an open transaction aborts it.
/// </summary>
public sealed class XenStoreTransaction : XenStoreOperations, IAsyncDisposable
{
    private readonly XenStoreClient _client;
    private int _ended;

    internal XenStoreTransaction(XenStoreClient client, uint id)
    {
        _client = client;
        Id = id;
    }

    /// <summary>The store's id for the transaction.</summary>
    public uint Id { get; }

    private protected override XenStoreClient Connection => _ended == 0
        ? _client
        : throw new InvalidOperationException($"Transaction {Id} has ended.");

    private protected override uint TransactionId => Id;

    /// <summary>Commits the transaction.</summary>
    /// <exception cref="XenStoreException"><c>EAGAIN</c> (<see cref="XenStoreException.IsConflict"/>) if it conflicted; nothing was applied.</exception>
    public Task CommitAsync(CancellationToken cancellationToken = default) => EndAsync(commit: true, cancellationToken);

    /// <summary>Abandons the transaction; nothing it wrote is applied.</summary>
    public Task AbortAsync(CancellationToken cancellationToken = default) => EndAsync(commit: false, cancellationToken);

    /// <summary>Aborts the transaction if it is still open; a closed connection has dropped it already.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_ended == 0 && _client.IsConnected)
        {
            try
            {
                await AbortAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (PvRingException)
            {
                // The connection failed meanwhile; the store dropped the transaction with it.
            }
        }
    }

    private async Task EndAsync(bool commit, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            throw new InvalidOperationException($"Transaction {Id} has ended.");
        }

        // The store forgets the transaction whatever the outcome, EAGAIN included.
        await _client.RequestAsync(XenStoreMessageType.TransactionEnd, Id, XenStoreWire.Strings(commit ? "T" : "F"), null, cancellationToken).ConfigureAwait(false);
    }
}
