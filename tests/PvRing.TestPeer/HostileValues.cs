// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.TestPeer;

/// <summary>
/// The adversarial values the hostile writer picks from: for a free-running ring index, values near the one it reads,
/// one ring ahead, just past the ring, behind, half the index space away, the edges of <c>uint</c>; for any other word,
/// edges (0, all ones, off by one around a limit) or random bits.
/// </summary>
internal static class HostileValues
{
    /// <summary>A value for a free-running index whose current value is <paramref name="current"/>, on a ring of <paramref name="size"/> slots.</summary>
    public static uint Index(Random random, uint current, int size) => unchecked(random.Next(10) switch
    {
        0 => (uint)random.Next(),
        1 => current + (uint)(random.Next(7) - 3),
        2 => current + (uint)size,
        3 => current + (uint)size + 1 + (uint)random.Next(3),
        4 => current - 1 - (uint)random.Next(size),
        5 => current + (1u << 31),
        6 => uint.MaxValue - (uint)random.Next(2),
        7 => 0u,
        8 => current + 1,
        _ => current,
    });

    /// <summary>A 32-bit word: an edge around <paramref name="limit"/> or of the type, or random bits.</summary>
    public static uint Word(Random random, uint limit) => unchecked(random.Next(8) switch
    {
        0 => 0u,
        1 => uint.MaxValue,
        2 => limit - 1,
        3 => limit,
        4 => limit + 1,
        5 => (uint)random.Next((int)Math.Min(limit + 2, int.MaxValue)),
        6 => 1u << random.Next(32),
        _ => (uint)random.NextInt64(),
    });

    /// <summary>A 16-bit word: an edge around <paramref name="limit"/> or of the type, or random bits.</summary>
    public static ushort Half(Random random, ushort limit) => (ushort)Word(random, limit);

    /// <summary>A 64-bit word: an edge, a single bit, or random bits.</summary>
    public static ulong Long(Random random) => random.Next(5) switch
    {
        0 => 0ul,
        1 => ulong.MaxValue,
        2 => 1ul << random.Next(64),
        3 => Word(random, 4096),
        _ => (ulong)random.NextInt64() ^ ((ulong)random.NextInt64() << 1),
    };
}
