// Licensed under the MIT License. See LICENSE in the repository root.

using System.Text;

namespace PvRing.Store;

/// <summary>
/// The node operations, the same on a connection (<see cref="XenStoreClient"/>) and inside a transaction
/// (<see cref="XenStoreTransaction"/>). Paths are absolute, or relative to the connection's domain home
/// <c>/local/domain/&lt;id&gt;</c>. Refusals raise <see cref="XenStoreException"/> with the Xen error name.
/// </summary>
public abstract class XenStoreOperations
{
    private protected XenStoreOperations()
    {
    }

    private protected abstract XenStoreClient Connection { get; }

    private protected abstract uint TransactionId { get; }

    /// <summary>Reads a node's value as UTF-8 text.</summary>
    /// <exception cref="XenStoreException">ENOENT if it does not exist, EACCES if it may not be read.</exception>
    public async Task<string> ReadAsync(string path, CancellationToken cancellationToken = default) =>
        Encoding.UTF8.GetString(await ReadBytesAsync(path, cancellationToken).ConfigureAwait(false));

    /// <summary>Reads a node's value as UTF-8 text, or null if the node does not exist.</summary>
    public async Task<string?> TryReadAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ReadAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (XenStoreException e) when (e.ErrorName == XenStoreErrorNames.NotFound)
        {
            return null;
        }
    }

    /// <summary>Reads a node's raw value.</summary>
    public Task<byte[]> ReadBytesAsync(string path, CancellationToken cancellationToken = default) =>
        Connection.RequestAsync(XenStoreMessageType.Read, TransactionId, XenStoreWire.Strings(path), path, cancellationToken);

    /// <summary>Whether a node exists (and may be read).</summary>
    public async Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default) =>
        await TryReadAsync(path, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>Writes a node's value as UTF-8 text, creating the node and missing parents.</summary>
    public Task WriteAsync(string path, string value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        return WriteBytesAsync(path, Encoding.UTF8.GetBytes(value), cancellationToken);
    }

    /// <summary>Writes a node's raw value, creating the node and missing parents.</summary>
    public Task WriteBytesAsync(string path, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] head = Encoding.UTF8.GetBytes(path);
        byte[] payload = new byte[head.Length + 1 + value.Length];
        head.CopyTo(payload, 0);
        value.Span.CopyTo(payload.AsSpan(head.Length + 1));
        return Connection.RequestAsync(XenStoreMessageType.Write, TransactionId, payload, path, cancellationToken);
    }

    /// <summary>Creates a node with an empty value (and missing parents); an existing node is left as is.</summary>
    public Task MakeDirectoryAsync(string path, CancellationToken cancellationToken = default) =>
        Connection.RequestAsync(XenStoreMessageType.Mkdir, TransactionId, XenStoreWire.Strings(path), path, cancellationToken);

    /// <summary>Removes a node and everything below it; removing a missing node whose parent exists succeeds.</summary>
    public Task RemoveAsync(string path, CancellationToken cancellationToken = default) =>
        Connection.RequestAsync(XenStoreMessageType.Rm, TransactionId, XenStoreWire.Strings(path), path, cancellationToken);

    /// <summary>Lists the names of a node's children, in order.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(string path, CancellationToken cancellationToken = default) =>
        XenStoreWire.SplitStrings(await Connection.RequestAsync(XenStoreMessageType.Directory, TransactionId, XenStoreWire.Strings(path), path, cancellationToken).ConfigureAwait(false));

    /// <summary>Reads a node's permission list: the owner entry first, then one entry per listed domain.</summary>
    public async Task<IReadOnlyList<XenStorePermission>> GetPermissionsAsync(string path, CancellationToken cancellationToken = default)
    {
        byte[] reply = await Connection.RequestAsync(XenStoreMessageType.GetPerms, TransactionId, XenStoreWire.Strings(path), path, cancellationToken).ConfigureAwait(false);
        var permissions = new List<XenStorePermission>();
        foreach (string text in XenStoreWire.SplitStrings(reply))
        {
            permissions.Add(XenStorePermission.TryParse(text, out XenStorePermission permission)
                ? permission
                : throw new PvRingProtocolException($"The store answered GET_PERMS '{path}' with a malformed entry: entry={text}."));
        }

        return permissions;
    }

    /// <summary>Replaces a node's permission list (owner entry first).</summary>
    /// <exception cref="ArgumentException">The list is empty.</exception>
    public Task SetPermissionsAsync(string path, IReadOnlyList<XenStorePermission> permissions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(permissions);
        if (permissions.Count == 0)
        {
            throw new ArgumentException("A permission list needs at least the owner entry.", nameof(permissions));
        }

        string[] parts = [path, .. permissions.Select(p => p.ToString())];
        return Connection.RequestAsync(XenStoreMessageType.SetPerms, TransactionId, XenStoreWire.Strings(parts), path, cancellationToken);
    }
}
