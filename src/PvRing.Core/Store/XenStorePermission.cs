// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;

namespace PvRing.Store;

/// <summary>
/// One entry of a node's permission list, written as xenstore does: a letter (<c>n</c>, <c>r</c>, <c>w</c>,
/// <c>b</c>) followed by a decimal domain id, for example <c>r1</c>.
/// </summary>
/// <remarks>
/// In a node's list the first entry names the owner domain (which may always read and write) and its
/// letter is the access of every domain not listed; the following entries grant access to one domain each.
/// Domain 0 is privileged and ignores permissions.
/// </remarks>
/// <param name="DomainId">The domain the entry is about.</param>
/// <param name="Access">What the entry grants.</param>
public readonly record struct XenStorePermission(int DomainId, XenStoreAccess Access)
{
    /// <summary>The largest domain id accepted (Xen's <c>DOMID_FIRST_RESERVED</c> - 1).</summary>
    public const int MaxDomainId = DomainIds.MaxValue;

    /// <summary>Formats the entry as xenstore does, for example <c>b3</c>.</summary>
    public override string ToString() => $"{Letter(Access)}{DomainId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses a permission string such as <c>r1</c>.</summary>
    /// <exception cref="FormatException">The text is not a letter among n, r, w, b followed by a domain id.</exception>
    public static XenStorePermission Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out XenStorePermission permission)
            ? permission
            : throw new FormatException($"'{text}' is not a xenstore permission (n, r, w or b followed by a domain id 0..{MaxDomainId}).");
    }

    /// <summary>Parses a permission string; returns false for anything but a letter and a decimal domain id.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out XenStorePermission permission)
    {
        permission = default;
        if (text.Length < 2 || text.Length > 6)
        {
            return false;
        }

        XenStoreAccess? access = text[0] switch
        {
            'n' => XenStoreAccess.None,
            'r' => XenStoreAccess.Read,
            'w' => XenStoreAccess.Write,
            'b' => XenStoreAccess.Both,
            _ => null,
        };
        if (access is null || !XenStoreNumber.TryParseDecimal(text[1..], MaxDomainId, out uint domain))
        {
            return false;
        }

        permission = new XenStorePermission((int)domain, access.Value);
        return true;
    }

    private static char Letter(XenStoreAccess access) => access switch
    {
        XenStoreAccess.Read => 'r',
        XenStoreAccess.Write => 'w',
        XenStoreAccess.Both => 'b',
        _ => 'n',
    };
}
