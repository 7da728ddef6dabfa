// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Store;

/// <summary>
/// The node table and the operations of the xenstore protocol on it, with xenstored's permission rules.
/// </summary>
/// <remarks>
/// Design: the server keeps one main tree; a transaction works on a view made by <see cref="Snapshot"/>: an
/// overlay over the main tree that copies a node (immutable, so by reference) when it first touches its path, so
/// starting a transaction costs nothing however large the tree is. The view remembers the generation of every
/// path it looked at or changed, as it was when first touched, and reads it from its copy afterwards;
/// <see cref="TryCommit"/> refuses (EAGAIN) when any of those paths changed in the main tree since, otherwise
/// copies the changed paths over. A parent whose child list
/// changed counts as changed, so two transactions adding children to one directory conflict, as in
/// xenstored. The caller serialises all access (the server's lock).
/// </remarks>
internal sealed class StoreTree
{
    private const long Absent = -1;

    private readonly Dictionary<string, StoreNode> _nodes;

    // A transaction's view: the main tree, and the paths it touched (null: removed in this view).
    private readonly StoreTree? _main;
    private readonly Dictionary<string, StoreNode?>? _overlay;

    // Nodes owned per domain: the counts (main tree) or the changes to the main tree's counts (a view).
    private readonly Dictionary<int, int> _owned;
    private readonly XenStoreLimits _limits;
    private readonly Dictionary<string, long>? _observed;
    private readonly HashSet<string>? _written;
    private long _generation;

    public StoreTree(XenStoreLimits limits)
    {
        _limits = limits;
        _nodes = new Dictionary<string, StoreNode>(StringComparer.Ordinal);
        _owned = [];
        XenStorePermission[] dom0Only = [new(0, XenStoreAccess.None)];
        Put("/", new StoreNode([], dom0Only, StoreNode.NoChildren, 0));
        EnsureDirectory("/local", dom0Only);
        EnsureDirectory("/local/domain", dom0Only);
    }

    private StoreTree(StoreTree main)
    {
        _limits = main._limits;
        _main = main;
        _nodes = [];
        _overlay = new Dictionary<string, StoreNode?>(StringComparer.Ordinal);
        _owned = [];
        _observed = new Dictionary<string, long>(StringComparer.Ordinal);
        _written = new HashSet<string>(StringComparer.Ordinal);
    }

    public int NodeCount => _nodes.Count;

    public StoreTree Snapshot() => new(this);

    public int OwnedBy(int domainId) => (_main?.OwnedBy(domainId) ?? 0) + _owned.GetValueOrDefault(domainId);

    public byte[] Read(StoreCaller caller, string path) => Require(caller, path, XenStoreAccess.Read).Value;

    public IReadOnlyCollection<string> Directory(StoreCaller caller, string path) => Require(caller, path, XenStoreAccess.Read).Children;

    public XenStorePermission[] GetPermissions(StoreCaller caller, string path) => Require(caller, path, XenStoreAccess.Read).Permissions;

    public void Write(StoreCaller caller, string path, byte[] value, List<StoreChange> changes)
    {
        if (value.Length > _limits.MaxValueSize)
        {
            throw new StoreOperationException(XenStoreErrorNames.TooBig, $"value of {value.Length} bytes for '{path}' is over the limit of {_limits.MaxValueSize}");
        }

        StoreNode? node = Lookup(path);
        if (node is not null)
        {
            RequireAccess(caller, node, path, XenStoreAccess.Write);
            Put(path, node with { Value = value });
        }
        else
        {
            node = Create(caller, path, value);
        }

        changes.Add(new StoreChange(path, node.Permissions, false));
    }

    public void MakeDirectory(StoreCaller caller, string path, List<StoreChange> changes)
    {
        if (Lookup(path) is not null)
        {
            return;
        }

        StoreNode node = Create(caller, path, []);
        changes.Add(new StoreChange(path, node.Permissions, false));
    }

    public void Remove(StoreCaller caller, string path, List<StoreChange> changes)
    {
        if (path == "/")
        {
            throw new StoreOperationException(XenStoreErrorNames.InvalidArgument, "the root cannot be removed");
        }

        StoreNode? node = Lookup(path);
        if (node is null)
        {
            // xenstored acknowledges removing a missing node whose parent exists.
            if (Lookup(StorePath.Parent(path)) is null)
            {
                throw new StoreOperationException(XenStoreErrorNames.NotFound, $"'{path}' does not exist");
            }

            return;
        }

        RequireAccess(caller, node, path, XenStoreAccess.Write);
        RemoveSubtree(path, node);
        string parentPath = StorePath.Parent(path);
        StoreNode parent = Lookup(parentPath)!;
        Put(parentPath, parent with { Children = parent.Children.Remove(StorePath.LastComponent(path)) });
        changes.Add(new StoreChange(path, node.Permissions, true));
    }

    public void SetPermissions(StoreCaller caller, string path, XenStorePermission[] permissions, List<StoreChange> changes)
    {
        if (permissions.Length == 0)
        {
            throw new StoreOperationException(XenStoreErrorNames.InvalidArgument, "a permission list needs at least the owner entry");
        }

        StoreNode node = Require(caller, path, XenStoreAccess.Write);
        int newOwner = permissions[0].DomainId;
        if (!caller.IsPrivileged && newOwner != node.Owner)
        {
            throw new StoreOperationException(XenStoreErrorNames.NotPermitted, $"only domain 0 may give '{path}' to another owner");
        }

        Put(path, node with { Permissions = permissions });
        changes.Add(new StoreChange(path, permissions, false));
    }

    /// <summary>Creates <paramref name="path"/> as domain 0 if missing (domain homes, set-up), with <paramref name="permissions"/>.</summary>
    public void EnsureDirectory(string path, XenStorePermission[] permissions)
    {
        if (Lookup(path) is not null)
        {
            return;
        }

        string parentPath = StorePath.Parent(path);
        if (Lookup(parentPath) is null)
        {
            EnsureDirectory(parentPath, permissions);
        }

        StoreNode parent = Lookup(parentPath)!;
        Put(parentPath, parent with { Children = parent.Children.Add(StorePath.LastComponent(path)) });
        Put(path, new StoreNode([], permissions, StoreNode.NoChildren, 0));
    }

    /// <summary>
    /// Applies a transaction snapshot made from this tree. Returns false (and changes nothing) if a path the
    /// transaction touched changed here since the transaction first touched it.
    /// </summary>
    /// <exception cref="StoreOperationException">
    /// EQUOTA: for an unprivileged <paramref name="caller"/>, the nodes its domain would own after the commit exceed the
    /// quota (transactions committed one after another are each checked against what the others already added).
    /// </exception>
    public bool TryCommit(StoreTree transaction, StoreCaller caller)
    {
        foreach ((string path, long seen) in transaction._observed!)
        {
            long now = _nodes.TryGetValue(path, out StoreNode? current) ? current.Generation : Absent;
            if (now != seen)
            {
                return false;
            }
        }

        if (!caller.IsPrivileged)
        {
            // The quota was checked inside the transaction against its snapshot; concurrent transactions each saw the
            // same count, so check again against the tree they commit into.
            int added = 0;
            foreach (string path in transaction._written!)
            {
                bool after = transaction._overlay![path] is StoreNode node && node.Owner == caller.DomainId;
                bool before = _nodes.TryGetValue(path, out StoreNode? old) && old.Owner == caller.DomainId;
                added += (after ? 1 : 0) - (before ? 1 : 0);
            }

            int ownedNow = OwnedBy(caller.DomainId);
            if (added > 0 && ownedNow + added > _limits.MaxNodesPerDomain)
            {
                throw new StoreOperationException(XenStoreErrorNames.Quota, $"domain {caller.DomainId} owns {ownedNow} nodes and the transaction adds {added}; the quota is {_limits.MaxNodesPerDomain}");
            }
        }

        foreach (string path in transaction._written!)
        {
            if (transaction._overlay![path] is StoreNode node)
            {
                Put(path, node);
            }
            else if (_nodes.TryGetValue(path, out StoreNode? old))
            {
                _nodes.Remove(path);
                Count(old.Owner, -1);
            }
        }

        return true;
    }

    private StoreNode Create(StoreCaller caller, string path, byte[] value)
    {
        // Walk up to the nearest existing ancestor: writing there is what creating below it needs.
        var missing = new List<string>();
        string cursor = path;
        StoreNode? ancestor;
        while ((ancestor = Lookup(cursor)) is null)
        {
            missing.Add(cursor);
            cursor = StorePath.Parent(cursor);
        }

        RequireAccess(caller, ancestor, cursor, XenStoreAccess.Write);

        // New nodes inherit the parent's permissions; an unprivileged creator becomes the owner (xenstored).
        XenStorePermission[] inherited = (XenStorePermission[])ancestor.Permissions.Clone();
        if (!caller.IsPrivileged)
        {
            inherited[0] = inherited[0] with { DomainId = caller.DomainId };
            int owned = OwnedBy(caller.DomainId);
            if (owned + missing.Count > _limits.MaxNodesPerDomain)
            {
                throw new StoreOperationException(XenStoreErrorNames.Quota, $"domain {caller.DomainId} owns {owned} nodes; the quota is {_limits.MaxNodesPerDomain}");
            }
        }

        StoreNode created = null!;
        for (int i = missing.Count - 1; i >= 0; i--)
        {
            string nodePath = missing[i];
            string parentPath = StorePath.Parent(nodePath);
            StoreNode parent = Lookup(parentPath)!;
            Put(parentPath, parent with { Children = parent.Children.Add(StorePath.LastComponent(nodePath)) });
            created = new StoreNode(i == 0 ? value : [], inherited, StoreNode.NoChildren, 0);
            Put(nodePath, created);
        }

        return created;
    }

    private void RemoveSubtree(string path, StoreNode node)
    {
        foreach (string child in node.Children)
        {
            string childPath = path == "/" ? "/" + child : path + "/" + child;
            if (Lookup(childPath) is { } childNode)
            {
                RemoveSubtree(childPath, childNode);
            }
        }

        Touch(path);
        if (_overlay is null)
        {
            _nodes.Remove(path);
        }
        else
        {
            _overlay[path] = null;
        }

        Count(node.Owner, -1);
    }

    private StoreNode Require(StoreCaller caller, string path, XenStoreAccess access)
    {
        StoreNode node = Lookup(path) ?? throw new StoreOperationException(XenStoreErrorNames.NotFound, $"'{path}' does not exist");
        RequireAccess(caller, node, path, access);
        return node;
    }

    private static void RequireAccess(StoreCaller caller, StoreNode node, string path, XenStoreAccess access)
    {
        if ((node.AccessFor(caller) & access) != access)
        {
            throw new StoreOperationException(XenStoreErrorNames.AccessDenied, $"domain {caller.DomainId} may not {(access == XenStoreAccess.Read ? "read" : "write")} '{path}'");
        }
    }

    private StoreNode? Lookup(string path)
    {
        if (_overlay is null)
        {
            return _nodes.GetValueOrDefault(path);
        }

        if (_overlay.TryGetValue(path, out StoreNode? seen))
        {
            return seen;
        }

        // First touch: take the main tree's node now, remember its generation, and read this copy from then on.
        StoreNode? node = _main!._nodes.GetValueOrDefault(path);
        _observed!.TryAdd(path, node?.Generation ?? Absent);
        _overlay[path] = node;
        return node;
    }

    private void Touch(string path)
    {
        if (_overlay is not null)
        {
            _ = Lookup(path);
            _written!.Add(path);
        }
    }

    private void Put(string path, StoreNode node)
    {
        Touch(path);
        if ((_overlay is null ? _nodes.GetValueOrDefault(path) : _overlay[path]) is StoreNode old)
        {
            Count(old.Owner, -1);
        }

        // In the main tree every change takes a fresh generation; in a view the generation is assigned
        // when the commit copies the node into the main tree.
        if (_overlay is null)
        {
            _nodes[path] = node with { Generation = ++_generation };
        }
        else
        {
            _overlay[path] = node;
        }

        Count(node.Owner, +1);
    }

    private void Count(int domainId, int delta)
    {
        int count = _owned.GetValueOrDefault(domainId) + delta;
        if (count == 0)
        {
            _owned.Remove(domainId);
        }
        else
        {
            _owned[domainId] = count;
        }
    }
}
