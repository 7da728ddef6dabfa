// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Memory;

/// <summary>
/// Xen's page, the unit of rings and grants. It is always 4096 bytes, whatever the machine's own
/// page size (<c>XEN_PAGE_SHIFT</c> is hard-coded to 12 in <c>io/ring.h</c>).
/// </summary>
public static class XenPage
{
    /// <summary>The size of a Xen page in bytes: 4096.</summary>
    public const int Size = 4096;

    /// <summary>log2 of <see cref="Size"/>: 12.</summary>
    public const int Shift = 12;

    /// <summary>The largest page order PvRing accepts for a single shared area (2^16 pages, 256 MiB).</summary>
    public const int MaxOrder = 16;

    /// <summary>Returns the byte size of 2^<paramref name="order"/> pages.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="order"/> is negative or above <see cref="MaxOrder"/>.</exception>
    public static long BytesForOrder(int order)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(order);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(order, MaxOrder);
        return (long)Size << order;
    }
}
