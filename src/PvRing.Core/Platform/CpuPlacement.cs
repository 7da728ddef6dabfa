// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Platform;

/// <summary>
/// The answer to <see cref="CpuTopology.FindPair"/>: two CPUs of the requested kind, or the reason this machine
/// has none.
/// </summary>
public sealed class CpuPlacement
{
    private CpuPlacement(CpuPairKind kind, int first, int second, string? reason)
    {
        Kind = kind;
        First = first;
        Second = second;
        Reason = reason;
    }

    /// <summary>The kind of pair asked for.</summary>
    public CpuPairKind Kind { get; }

    /// <summary>Whether this machine has such a pair.</summary>
    public bool IsAvailable => Reason is null;

    /// <summary>The first CPU id; -1 when not available.</summary>
    public int First { get; }

    /// <summary>The second CPU id; -1 when not available.</summary>
    public int Second { get; }

    /// <summary>Why no pair exists (for example "one socket only"); null when available.</summary>
    public string? Reason { get; }

    /// <inheritdoc/>
    public override string ToString() => IsAvailable ? $"{Kind}: cpu{First} + cpu{Second}" : $"{Kind}: not available here ({Reason})";

    internal static CpuPlacement Available(CpuPairKind kind, int first, int second) => new(kind, first, second, null);

    internal static CpuPlacement NotAvailable(CpuPairKind kind, string reason) => new(kind, -1, -1, reason);
}
