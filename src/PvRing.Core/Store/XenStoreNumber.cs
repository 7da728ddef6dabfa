// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Store;

/// <summary>
/// Strict parsing of the decimal numbers xenstore stores as strings: digits only, no sign, no spaces, no
/// leading zeros (except "0" itself), within a bound. Peers are hostile, so "1x", " 1", "+1" and "01" are refused.
/// </summary>
public static class XenStoreNumber
{
    /// <summary>Parses <paramref name="text"/> as a decimal number no larger than <paramref name="max"/>.</summary>
    public static bool TryParseDecimal(ReadOnlySpan<char> text, uint max, out uint value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 10 || (text.Length > 1 && text[0] == '0'))
        {
            return false;
        }

        ulong result = 0;
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            result = (result * 10) + (uint)(c - '0');
        }

        if (result > max)
        {
            return false;
        }

        value = (uint)result;
        return true;
    }
}
