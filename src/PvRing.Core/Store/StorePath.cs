// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;

namespace PvRing.Store;

/// <summary>
/// Path rules of xenstored's <c>is_valid_nodename</c>: absolute paths start with '/', relative ones are
/// below the caller's <c>/local/domain/&lt;id&gt;</c>; characters are letters, digits and <c>-/_@</c>; no
/// empty component, no trailing '/'; lengths bounded by <see cref="XenStoreLimits"/>. Special watch
/// paths start with '@'.
/// </summary>
internal static class StorePath
{
    public const string IntroduceDomain = "@introduceDomain";
    public const string ReleaseDomain = "@releaseDomain";

    public static string DomainPath(int domainId) => "/local/domain/" + domainId.ToString(CultureInfo.InvariantCulture);

    /// <summary>Resolves <paramref name="raw"/> for <paramref name="caller"/>; throws EINVAL when it is not a valid node path.</summary>
    public static string Resolve(string raw, StoreCaller caller, bool allowSpecial = false)
    {
        if (raw.Length == 0)
        {
            throw Invalid(raw, "empty path");
        }

        if (raw[0] == '@')
        {
            if (allowSpecial && raw is IntroduceDomain or ReleaseDomain)
            {
                return raw;
            }

            throw Invalid(raw, "special paths are @introduceDomain and @releaseDomain, for watches only");
        }

        string path;
        if (raw[0] == '/')
        {
            path = raw;
        }
        else
        {
            if (raw.Length > XenStoreLimits.RelativePathMax)
            {
                throw Invalid(raw, $"relative path longer than {XenStoreLimits.RelativePathMax}");
            }

            path = DomainPath(caller.DomainId) + "/" + raw;
        }

        if (path.Length > XenStoreLimits.AbsolutePathMax)
        {
            throw Invalid(raw, $"path longer than {XenStoreLimits.AbsolutePathMax}");
        }

        if (path.Length > 1 && path[^1] == '/')
        {
            throw Invalid(raw, "trailing '/'");
        }

        for (int i = 0; i < path.Length; i++)
        {
            char c = path[i];
            bool ok = char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '@' || (c == '/' && (i == 0 || path[i - 1] != '/'));
            if (!ok)
            {
                throw Invalid(raw, c == '/' ? "empty path component" : $"character 0x{(int)c:x2} not allowed");
            }
        }

        return path;
    }

    public static string Parent(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    public static string LastComponent(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>Whether <paramref name="path"/> is <paramref name="ancestor"/> or below it.</summary>
    public static bool IsAtOrBelow(string path, string ancestor) =>
        ancestor == "/"
            ? path.Length > 0 && path[0] == '/'
            : path.StartsWith(ancestor, StringComparison.Ordinal) && (path.Length == ancestor.Length || path[ancestor.Length] == '/');

    private static StoreOperationException Invalid(string raw, string why) =>
        new(XenStoreErrorNames.InvalidArgument, $"invalid path '{(raw.Length > 64 ? raw[..64] + "..." : raw)}': {why}");
}
