// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Grants;

/// <summary>A live mapping made by a <see cref="GrantMapper"/> or <see cref="DeferredUnmapMapper"/> (Xen's <c>grant_handle_t</c>).</summary>
/// <param name="Value">The handle; 0 (the default) is never a live mapping.</param>
public readonly record struct GrantHandle(int Value);
