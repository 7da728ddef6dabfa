// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.Text;

namespace PvRing.Store;

/// <summary>The request handlers: one per <c>xsd_sockmsg_type</c>, each answering a reply or an XS_ERROR.</summary>
public sealed partial class XenStoreServer
{
    private static byte[] ErrorMessage(string errorName, uint requestId, uint transactionId) =>
        XenStoreWire.Message(XenStoreMessageType.Error, requestId, transactionId, XenStoreWire.Strings(errorName));

    /// <summary>
    /// Handles one request and queues its reply. Under the lock, so that a watch's registration event
    /// (queued after the reply) and events fired by other connections keep one order.
    /// </summary>
    private void Handle(StoreConnection connection, uint rawType, uint requestId, uint transactionId, byte[] payload)
    {
        var type = (XenStoreMessageType)rawType;
        lock (_gate)
        {
            _counters.OnOperation(type);
            StoreWatch? registered = null;
            try
            {
                byte[] reply = HandleLocked(connection, type, transactionId, payload, ref registered);
                connection.Send(XenStoreWire.Message(type, requestId, transactionId, reply));
            }
            catch (StoreOperationException e)
            {
                _counters.OnError(type);
                StoreLog.RequestRefused(Logger, connection.Id, StoreCounters.OperationName(type), e.Message);
                connection.Send(ErrorMessage(e.ErrorName, requestId, transactionId));
            }

            if (registered is not null)
            {
                // A watch fires once as soon as it is registered, with the watched path.
                QueueEvent(connection, registered, registered.Path);
            }
        }
    }

    private byte[] HandleLocked(StoreConnection connection, XenStoreMessageType type, uint transactionId, byte[] payload, ref StoreWatch? registered)
    {
        StoreCaller caller = connection.Caller;
        switch (type)
        {
            case XenStoreMessageType.Read:
                return TreeFor(connection, transactionId).Read(caller, OnePath(payload, caller));

            case XenStoreMessageType.Directory:
            {
                byte[] children = XenStoreWire.Strings([.. TreeFor(connection, transactionId).Directory(caller, OnePath(payload, caller))]);
                return children.Length <= XenStoreLimits.PayloadMax
                    ? children
                    : throw new StoreOperationException(XenStoreErrorNames.TooBig, "the child list does not fit in one reply");
            }

            case XenStoreMessageType.GetPerms:
                return XenStoreWire.Strings([.. TreeFor(connection, transactionId).GetPermissions(caller, OnePath(payload, caller)).Select(p => p.ToString())]);

            case XenStoreMessageType.Write:
            {
                int nul = Array.IndexOf(payload, (byte)0);
                if (nul < 0)
                {
                    throw new StoreOperationException(XenStoreErrorNames.InvalidArgument, "WRITE needs 'path\\0value'");
                }

                string path = StorePath.Resolve(Encoding.UTF8.GetString(payload, 0, nul), caller);
                return Change(connection, transactionId, changes => TreeFor(connection, transactionId).Write(caller, path, payload[(nul + 1)..], changes));
            }

            case XenStoreMessageType.Mkdir:
            {
                string path = OnePath(payload, caller);
                return Change(connection, transactionId, changes => TreeFor(connection, transactionId).MakeDirectory(caller, path, changes));
            }

            case XenStoreMessageType.Rm:
            {
                string path = OnePath(payload, caller);
                return Change(connection, transactionId, changes => TreeFor(connection, transactionId).Remove(caller, path, changes));
            }

            case XenStoreMessageType.SetPerms:
            {
                List<string> parts = XenStoreWire.SplitStrings(payload);
                if (parts.Count < 2)
                {
                    throw new StoreOperationException(XenStoreErrorNames.InvalidArgument, "SET_PERMS needs a path and at least one permission");
                }

                string path = StorePath.Resolve(parts[0], caller);
                XenStorePermission[] permissions = parts.Skip(1).Select(ParsePermission).ToArray();
                return Change(connection, transactionId, changes => TreeFor(connection, transactionId).SetPermissions(caller, path, permissions, changes));
            }

            case XenStoreMessageType.Watch:
                registered = Watch(connection, payload);
                return XenStoreWire.OkPayload;

            case XenStoreMessageType.Unwatch:
            {
                (string path, string token, _) = WatchArguments(connection, payload);
                return connection.Watches.Remove(StoreConnection.WatchKey(path, token))
                    ? XenStoreWire.OkPayload
                    : throw new StoreOperationException(XenStoreErrorNames.NotFound, $"no watch on '{path}' with that token");
            }

            case XenStoreMessageType.ResetWatches:
                connection.Watches.Clear();
                return XenStoreWire.OkPayload;

            case XenStoreMessageType.TransactionStart:
                return StartTransaction(connection, transactionId);

            case XenStoreMessageType.TransactionEnd:
                return EndTransaction(connection, transactionId, payload);

            case XenStoreMessageType.GetDomainPath:
                return XenStoreWire.Strings(StorePath.DomainPath(OneDomain(payload)));

            case XenStoreMessageType.IsDomainIntroduced:
            {
                int domain = OneDomain(payload);
                return XenStoreWire.Strings(domain == 0 || _introduced.Contains(domain) ? "T" : "F");
            }

            case XenStoreMessageType.Restrict:
                return Restrict(connection, payload);

            case XenStoreMessageType.Introduce:
            {
                RequirePrivileged(caller, type);
                List<string> parts = XenStoreWire.SplitStrings(payload);
                if (parts.Count < 3)
                {
                    throw new StoreOperationException(XenStoreErrorNames.InvalidArgument, "INTRODUCE needs 'domid\\0mfn\\0port\\0'");
                }

                IntroduceDomain(ParseDomain(parts[0]));
                return XenStoreWire.OkPayload;
            }

            case XenStoreMessageType.Release:
            {
                RequirePrivileged(caller, type);
                int domain = OneDomain(payload);
                foreach (StoreConnection other in _connections.Values.Where(c => !c.Caller.IsPrivileged && c.Caller.DomainId == domain))
                {
                    other.Abort();
                }

                ReleaseDomain(domain);
                return XenStoreWire.OkPayload;
            }

            case XenStoreMessageType.Control or XenStoreMessageType.Resume or XenStoreMessageType.SetTarget or XenStoreMessageType.DirectoryPart:
                throw new StoreOperationException(XenStoreErrorNames.NotSupported, $"{type} is not supported by this store");

            default:
                throw new StoreOperationException(XenStoreErrorNames.InvalidArgument, $"unknown message type {(uint)type}");
        }
    }

    private StoreTree TreeFor(StoreConnection connection, uint transactionId)
    {
        if (transactionId == 0)
        {
            return _tree;
        }

        return connection.Transactions.TryGetValue(transactionId, out StoreTransaction? transaction)
            ? transaction.Snapshot
            : throw new StoreOperationException(XenStoreErrorNames.NotFound, $"no transaction {transactionId} on this connection");
    }

    /// <summary>Runs a change; outside a transaction its watches fire now, inside one they fire at commit.</summary>
    private byte[] Change(StoreConnection connection, uint transactionId, Action<List<StoreChange>> change)
    {
        if (transactionId != 0)
        {
            TreeFor(connection, transactionId);
            change(connection.Transactions[transactionId].Changes);
            return XenStoreWire.OkPayload;
        }

        var changes = new List<StoreChange>();
        change(changes);
        Fire(changes);
        return XenStoreWire.OkPayload;
    }

    private StoreWatch Watch(StoreConnection connection, byte[] payload)
    {
        (string path, string token, string? relativePrefix) = WatchArguments(connection, payload);
        string key = StoreConnection.WatchKey(path, token);
        if (connection.Watches.ContainsKey(key))
        {
            throw new StoreOperationException(XenStoreErrorNames.Exists, $"a watch on '{path}' with that token exists");
        }

        if (!connection.Caller.IsPrivileged && connection.Watches.Count >= _options.Limits.MaxWatchesPerConnection)
        {
            throw new StoreOperationException(XenStoreErrorNames.Quota, $"the connection holds {connection.Watches.Count} watches; the quota is {_options.Limits.MaxWatchesPerConnection}");
        }

        var watch = new StoreWatch(path, token, relativePrefix);
        connection.Watches.Add(key, watch);
        return watch;
    }

    private (string Path, string Token, string? RelativePrefix) WatchArguments(StoreConnection connection, byte[] payload)
    {
        List<string> parts = XenStoreWire.SplitStrings(payload);
        if (parts.Count < 2)
        {
            throw new StoreOperationException(XenStoreErrorNames.InvalidArgument, "WATCH needs 'path\\0token\\0'");
        }

        string path = StorePath.Resolve(parts[0], connection.Caller, allowSpecial: true);
        string? prefix = parts[0].Length > 0 && parts[0][0] is not ('/' or '@') ? StorePath.DomainPath(connection.Caller.DomainId) + "/" : null;
        return (path, parts[1], prefix);
    }

    private byte[] StartTransaction(StoreConnection connection, uint transactionId)
    {
        if (transactionId != 0)
        {
            throw new StoreOperationException(XenStoreErrorNames.InvalidArgument, "transactions do not nest");
        }

        if (!connection.Caller.IsPrivileged && connection.Transactions.Count >= _options.Limits.MaxTransactionsPerConnection)
        {
            throw new StoreOperationException(XenStoreErrorNames.Quota, $"the connection holds {connection.Transactions.Count} transactions; the quota is {_options.Limits.MaxTransactionsPerConnection}");
        }

        do
        {
            _nextTransactionId++;
        }
        while (_nextTransactionId == 0);

        connection.Transactions.Add(_nextTransactionId, new StoreTransaction(_nextTransactionId, _tree.Snapshot()));
        return XenStoreWire.Strings(_nextTransactionId.ToString(CultureInfo.InvariantCulture));
    }

    private byte[] EndTransaction(StoreConnection connection, uint transactionId, byte[] payload)
    {
        List<string> parts = XenStoreWire.SplitStrings(payload);
        bool commit = parts.Count == 1 && parts[0] == "T";
        if (!commit && !(parts.Count == 1 && parts[0] == "F"))
        {
            throw new StoreOperationException(XenStoreErrorNames.InvalidArgument, "TRANSACTION_END needs 'T' or 'F'");
        }

        if (transactionId == 0 || !connection.Transactions.Remove(transactionId, out StoreTransaction? transaction))
        {
            throw new StoreOperationException(XenStoreErrorNames.NotFound, $"no transaction {transactionId} on this connection");
        }

        if (commit)
        {
            if (!_tree.TryCommit(transaction.Snapshot, connection.Caller))
            {
                throw new StoreOperationException(XenStoreErrorNames.Again, $"transaction {transactionId} conflicts with a change made since it started");
            }

            Fire(transaction.Changes);
        }

        return XenStoreWire.OkPayload;
    }

    private byte[] Restrict(StoreConnection connection, byte[] payload)
    {
        RequirePrivileged(connection.Caller, XenStoreMessageType.Restrict);
        int domain = OneDomain(payload);
        if (domain == 0)
        {
            throw new StoreOperationException(XenStoreErrorNames.InvalidArgument, "a connection restricts itself to a domain other than 0");
        }

        if (connection.Transactions.Count > 0)
        {
            throw new StoreOperationException(XenStoreErrorNames.InvalidArgument, "restrict before starting transactions");
        }

        connection.Caller = new StoreCaller(domain, false);
        _domainConnections[domain] = _domainConnections.GetValueOrDefault(domain) + 1;
        IntroduceDomain(domain);
        StoreLog.Restricted(Logger, connection.Id, connection.PeerProcessId, domain);
        return XenStoreWire.OkPayload;
    }

    private void IntroduceDomain(int domain)
    {
        // The domain's home is created for it, owned by it, as the toolstack does before a guest boots.
        _tree.EnsureDirectory(StorePath.DomainPath(domain), [new XenStorePermission(domain, XenStoreAccess.None)]);
        if (_introduced.Add(domain))
        {
            StoreLog.DomainIntroduced(Logger, domain);
            Fire([new StoreChange(StorePath.IntroduceDomain, null, false)]);
        }
    }

    private void ReleaseDomain(int domain)
    {
        if (_introduced.Remove(domain))
        {
            StoreLog.DomainReleased(Logger, domain);
            Fire([new StoreChange(StorePath.ReleaseDomain, null, false)]);
        }
    }

    private void Fire(List<StoreChange> changes)
    {
        foreach (StoreChange change in changes)
        {
            bool special = change.Path[0] == '@';
            foreach (StoreConnection connection in _connections.Values)
            {
                if (!special && change.Permissions is not null && (StoreNode.AccessFor(change.Permissions, connection.Caller) & XenStoreAccess.Read) == 0)
                {
                    continue;
                }

                foreach (StoreWatch watch in connection.Watches.Values)
                {
                    if (special ? watch.Path == change.Path : StorePath.IsAtOrBelow(change.Path, watch.Path))
                    {
                        QueueEvent(connection, watch, change.Path);
                    }
                    else if (!special && change.SubtreeRemoved && StorePath.IsAtOrBelow(watch.Path, change.Path))
                    {
                        QueueEvent(connection, watch, watch.Path);
                    }
                }
            }
        }
    }

    private void QueueEvent(StoreConnection connection, StoreWatch watch, string path)
    {
        byte[] message = XenStoreWire.Message(XenStoreMessageType.WatchEvent, 0, 0, XenStoreWire.Strings(watch.ToClientPath(path), watch.Token));
        _counters.OnWatchEvent();
        if (!connection.SendEvent(message, _options.Limits.MaxPendingEventsPerConnection))
        {
            StoreLog.WatchBacklog(Logger, connection.Id, _options.Limits.MaxPendingEventsPerConnection);
            connection.Abort();
        }
    }

    private static void RequirePrivileged(StoreCaller caller, XenStoreMessageType type)
    {
        if (!caller.IsPrivileged)
        {
            throw new StoreOperationException(XenStoreErrorNames.NotPermitted, $"{type} needs a privileged connection");
        }
    }

    private static string OnePath(byte[] payload, StoreCaller caller)
    {
        List<string> parts = XenStoreWire.SplitStrings(payload);
        return parts.Count == 1
            ? StorePath.Resolve(parts[0], caller)
            : throw new StoreOperationException(XenStoreErrorNames.InvalidArgument, "the request takes exactly one path");
    }

    private static int OneDomain(byte[] payload)
    {
        List<string> parts = XenStoreWire.SplitStrings(payload);
        return parts.Count == 1
            ? ParseDomain(parts[0])
            : throw new StoreOperationException(XenStoreErrorNames.InvalidArgument, "the request takes exactly one domain id");
    }

    private static int ParseDomain(string text) =>
        XenStoreNumber.TryParseDecimal(text, XenStorePermission.MaxDomainId, out uint domain)
            ? (int)domain
            : throw new StoreOperationException(XenStoreErrorNames.InvalidArgument, $"'{text}' is not a domain id");

    private static XenStorePermission ParsePermission(string text) =>
        XenStorePermission.TryParse(text, out XenStorePermission permission)
            ? permission
            : throw new StoreOperationException(XenStoreErrorNames.InvalidArgument, $"'{text}' is not a permission (n, r, w or b and a domain id)");
}
