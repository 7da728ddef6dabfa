// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Store;

/// <summary>
/// A registered watch: the absolute (or special) path, the client's token, and the prefix to strip when the
/// client registered a relative path (events then carry relative paths, as in xenstored).
/// </summary>
internal sealed record StoreWatch(string Path, string Token, string? RelativePrefix)
{
    public string ToClientPath(string absolutePath) =>
        RelativePrefix is not null && absolutePath.StartsWith(RelativePrefix, StringComparison.Ordinal)
            ? absolutePath[RelativePrefix.Length..]
            : absolutePath;
}
