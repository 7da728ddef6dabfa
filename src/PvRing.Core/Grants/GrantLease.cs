// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>
/// A granted page range held through an <see cref="IGrantMapper"/>: <see cref="Span"/> is the range itself (the mapped
/// page in the map, persistent, direct and deferred-unmap schemes) or a pooled bounce buffer (the copy scheme), valid
/// until <see cref="IGrantMapper.Release(ref GrantLease)"/>. Every scheme's data path is written once against it.
/// </summary>
/// <remarks>A lease is a plain value owned by the code that acquired it: release it exactly once, on the mapper that made it.</remarks>
public unsafe struct GrantLease
{
    internal byte* Address;
    internal int Length;
    internal int Handle;
    internal uint Reference;
    internal ushort Offset;
    internal bool Writable;

    /// <summary>The leased bytes: read them (or write them, for a writable lease) until the lease is released.</summary>
    public readonly Span<byte> Span => new(Address, Length);

    /// <summary>Whether the lease holds a range (false for a default or released lease).</summary>
    public readonly bool IsHeld => Address is not null;

    /// <summary>The grant reference (or frame number, for direct map) the lease was acquired for.</summary>
    public readonly uint GrantReference => Reference;
}
