// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Rings;
using PvRing.Transport;

namespace PvRing.Harness;

/// <summary>
/// One run of <c>packets</c>: either the Unix domain socket baseline or a netif queue in one grant mode with every
/// feature on or every feature off, streaming packets of <see cref="Size"/> bytes from the peer (front) to the harness (back).
/// </summary>
/// <param name="Socket">The socket baseline (then <see cref="Mode"/> and <see cref="AllFeatures"/> mean nothing).</param>
/// <param name="Mode">The grant mode the front wants and the back offers (the back offers only it, so nothing falls back silently).</param>
/// <param name="AllFeatures">Every feature on (order 4, split indexes, aligned slots, split rings, split channels) or every one off.</param>
/// <param name="Size">The packet size in bytes.</param>
internal readonly record struct PacketCase(bool Socket, NetGrantModes Mode, bool AllFeatures, int Size)
{
    public static PacketCase OfSocket(int size) => new(true, NetGrantModes.Copy, false, size);

    public static PacketCase OfRing(NetGrantModes mode, bool allFeatures, int size) => new(false, mode, allFeatures, size);

    /// <summary>
    /// The features both ends ask for. "Off" is Xen's classic layout (one page, one event channel) but keeps
    /// <c>feature-sg</c>, since without it a packet is at most one page and 65535-byte packets could not be sent at all.
    /// </summary>
    public NetDeviceFeatures Features => AllFeatures
        ? NetDeviceFeatures.All with { GrantModes = Mode }
        : new NetDeviceFeatures(RingFeatures.None, 0, SplitEventChannels: false, Mode, ScatterGather: true);

    /// <summary>The row label: "socket", or the mode's name with "all on"/"all off".</summary>
    public string Label => Socket ? "unix socket" : $"{Mode.ToName()} ({(AllFeatures ? "all on" : "all off")})";

    /// <summary>The row key, independent of the size.</summary>
    public string Key => Socket ? "socket" : $"{Mode.ToName()}-{(AllFeatures ? "on" : "off")}";

    /// <summary>How the harness hands the case to its peer on the command line: <c>s:SIZE</c> or <c>r:MODE:on|off:SIZE</c>.</summary>
    public string Code => Socket
        ? string.Create(CultureInfo.InvariantCulture, $"s:{Size}")
        : string.Create(CultureInfo.InvariantCulture, $"r:{Mode.ToName()}:{(AllFeatures ? "on" : "off")}:{Size}");

    public static PacketCase Parse(string code)
    {
        string[] parts = code.Split(':');
        return parts switch
        {
            ["s", string size] => OfSocket(int.Parse(size, CultureInfo.InvariantCulture)),
            ["r", string mode, string features, string size] =>
                OfRing(NetGrantModesExtensions.Parse(mode), features == "on", int.Parse(size, CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException($"not a packets case: '{code}'", nameof(code)),
        };
    }
}
