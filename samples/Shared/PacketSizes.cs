// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;

namespace PvRing.Samples;

/// <summary>
/// The sizes of the packets a side sends (<c>--packet-size N</c> or <c>MIN-MAX</c>): packet i's size is a pure function
/// of the seed and i (SplitMix64), so a run is repeatable and needs no shared state between the pumps.
/// </summary>
internal readonly record struct PacketSizes(int Min, int Max, ulong Seed)
{
    public bool IsFixed => Min == Max;

    /// <summary>Parses <c>N</c> or <c>MIN-MAX</c>, each 1..<paramref name="limit"/>; null with the reason in <paramref name="error"/>.</summary>
    public static PacketSizes? Parse(string text, int limit, ulong seed, out string? error)
    {
        error = null;
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        string minText = dash < 0 ? text : text[..dash];
        string maxText = dash < 0 ? text : text[(dash + 1)..];
        if (!int.TryParse(minText, NumberStyles.None, CultureInfo.InvariantCulture, out int min)
            || !int.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out int max)
            || min < 1 || max > limit || min > max)
        {
            error = $"option '--packet-size' must be N or MIN-MAX with 1 <= MIN <= MAX <= {limit}, not '{text}'";
            return null;
        }

        return new PacketSizes(min, max, seed);
    }

    public int SizeOf(long sequence)
    {
        if (IsFixed)
        {
            return Min;
        }

        ulong z = Seed + ((ulong)sequence * 0x9E37_79B9_7F4A_7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        z ^= z >> 31;
        return Min + (int)(z % (ulong)(Max - Min + 1));
    }

    public override string ToString() => IsFixed
        ? string.Create(CultureInfo.InvariantCulture, $"{Min} bytes")
        : string.Create(CultureInfo.InvariantCulture, $"{Min}-{Max} bytes (random, seed {Seed})");
}
