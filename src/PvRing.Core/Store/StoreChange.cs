// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Store;

/// <summary>
/// A change that fires watches: the absolute path (or special <c>@</c> name), the permissions that decide
/// who may see it (the node's, before a removal), and whether a whole subtree went away (then watches
/// below the path fire too, each with its own path).
/// </summary>
internal sealed record StoreChange(string Path, XenStorePermission[]? Permissions, bool SubtreeRemoved);
