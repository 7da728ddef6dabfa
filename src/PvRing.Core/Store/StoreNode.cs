// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Immutable;

namespace PvRing.Store;

/// <summary>
/// One node of the tree. Immutable, so a transaction's snapshot is a shallow copy of the path table and a
/// change replaces the node. <see cref="Generation"/> is the store-wide change counter at the node's last
/// change; transactions compare it at commit to detect conflicts.
/// </summary>
internal sealed record StoreNode(byte[] Value, XenStorePermission[] Permissions, ImmutableSortedSet<string> Children, long Generation)
{
    public static readonly ImmutableSortedSet<string> NoChildren = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    public int Owner => Permissions[0].DomainId;

    /// <summary>What <paramref name="caller"/> may do here: xenstored's <c>perm_for_conn</c>.</summary>
    public XenStoreAccess AccessFor(StoreCaller caller) => AccessFor(Permissions, caller);

    public static XenStoreAccess AccessFor(XenStorePermission[] permissions, StoreCaller caller)
    {
        if (caller.IsPrivileged || permissions[0].DomainId == caller.DomainId)
        {
            return XenStoreAccess.Both;
        }

        for (int i = 1; i < permissions.Length; i++)
        {
            if (permissions[i].DomainId == caller.DomainId)
            {
                return permissions[i].Access;
            }
        }

        // The first entry's letter is the access of every domain not listed.
        return permissions[0].Access;
    }
}
