// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Platform;

/// <summary>Parses the kernel's CPU list format (<c>0-3,8,10-11</c>) used throughout /sys.</summary>
internal static class CpuList
{
    /// <summary>The ids in <paramref name="text"/>, ascending, without duplicates.</summary>
    /// <exception cref="FormatException">The text is not a CPU list.</exception>
    internal static int[] Parse(string text)
    {
        var ids = new SortedSet<int>();
        foreach (string part in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                ids.Add(ParseId(part, text));
                continue;
            }

            int first = ParseId(part[..dash], text);
            int last = ParseId(part[(dash + 1)..], text);
            if (last < first || last - first > 65535)
            {
                throw new FormatException($"Invalid CPU range '{part}' in CPU list '{text}'.");
            }

            for (int id = first; id <= last; id++)
            {
                ids.Add(id);
            }
        }

        return [.. ids];
    }

    private static int ParseId(string value, string text) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id)
            ? id
            : throw new FormatException($"Invalid CPU id '{value}' in CPU list '{text}'.");
}
