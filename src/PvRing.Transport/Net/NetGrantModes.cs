// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Grants;

namespace PvRing.Transport;

/// <summary>
/// The ways a net device's back end reaches the front end's packet buffers. A back end offers a set; a front end wants
/// exactly one, and gets copy (Xen's default, always available) when the back does not offer it.
/// </summary>
[Flags]
public enum NetGrantModes
{
    /// <summary>No mode: not valid in options.</summary>
    None = 0,

    /// <summary>Xen's default grant copy: no mapping survives a request (no key: every back end can).</summary>
    Copy = 1,

    /// <summary>Hackathon item F, <c>feature-grant-map</c>: map and unmap each granted page (an <c>munmap</c> and TLB shootdown per page).</summary>
    Map = 2,

    /// <summary>Hackathon item G, <c>feature-persistent</c>: buffers granted once, mapped once, reused.</summary>
    Persistent = 4,

    /// <summary>Hackathon item J, <c>feature-direct-map</c>: the whole front memory mapped once, frame numbers in requests, no grant checks.</summary>
    DirectMap = 8,

    /// <summary>The frontend-driven TLB flush, <c>feature-deferred-unmap</c>: unmaps batched until the front asks for a flush.</summary>
    DeferredUnmap = 16,

    /// <summary>Every mode.</summary>
    All = Copy | Map | Persistent | DirectMap | DeferredUnmap,
}

/// <summary>Conversions between <see cref="NetGrantModes"/> and the grant layer's <see cref="GrantScheme"/>.</summary>
public static class NetGrantModesExtensions
{
    /// <summary>The grant scheme of a single mode.</summary>
    /// <exception cref="ArgumentException"><paramref name="mode"/> is not exactly one mode.</exception>
    public static GrantScheme ToScheme(this NetGrantModes mode) => mode switch
    {
        NetGrantModes.Copy => GrantScheme.Copy,
        NetGrantModes.Map => GrantScheme.Map,
        NetGrantModes.Persistent => GrantScheme.Persistent,
        NetGrantModes.DirectMap => GrantScheme.DirectMap,
        NetGrantModes.DeferredUnmap => GrantScheme.DeferredUnmap,
        _ => throw new ArgumentException($"'{mode}' is not exactly one grant mode.", nameof(mode)),
    };

    /// <summary>The mode of a grant scheme.</summary>
    public static NetGrantModes ToMode(this GrantScheme scheme) => scheme switch
    {
        GrantScheme.Copy => NetGrantModes.Copy,
        GrantScheme.Map => NetGrantModes.Map,
        GrantScheme.Persistent => NetGrantModes.Persistent,
        GrantScheme.DirectMap => NetGrantModes.DirectMap,
        GrantScheme.DeferredUnmap => NetGrantModes.DeferredUnmap,
        _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Not a grant scheme."),
    };

    /// <summary>Parses a sample-style name: copy, map, persistent, direct, deferred.</summary>
    /// <exception cref="ArgumentException">Not one of the names.</exception>
    public static NetGrantModes Parse(string name) => name switch
    {
        "copy" => NetGrantModes.Copy,
        "map" => NetGrantModes.Map,
        "persistent" => NetGrantModes.Persistent,
        "direct" => NetGrantModes.DirectMap,
        "deferred" => NetGrantModes.DeferredUnmap,
        _ => throw new ArgumentException($"'{name}' is not a grant mode: copy, map, persistent, direct or deferred.", nameof(name)),
    };

    /// <summary>The sample-style name of a single mode (copy, map, persistent, direct, deferred).</summary>
    public static string ToName(this NetGrantModes mode) => mode switch
    {
        NetGrantModes.Copy => "copy",
        NetGrantModes.Map => "map",
        NetGrantModes.Persistent => "persistent",
        NetGrantModes.DirectMap => "direct",
        NetGrantModes.DeferredUnmap => "deferred",
        _ => mode.ToString(),
    };
}
