// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Transport;

namespace PvRing.Samples;

/// <summary>
/// The packet switches both samples take in store mode: <c>--direction</c>, <c>--packet-size</c>, <c>--seed</c>,
/// <c>--grant-mode</c>, <c>--sg</c> (and <c>--count</c>, parsed by each sample since their defaults differ).
/// </summary>
internal sealed record PacketOptions(NetDirections Directions, PacketSizes Sizes, NetGrantModes GrantModes, bool ScatterGather)
{
    public static readonly string[] Names = ["--direction", "--packet-size", "--seed", "--grant-mode", "--sg"];

    public const string Usage = """
          --direction tx|rx|both         which rings carry packets (default both; give both sides the same):
                                         tx = the front (Tx) sends and the back (Rx) receives, rx = the reverse
          --packet-size N|MIN-MAX        packet size, or random sizes in MIN..MAX, 1..65535 with --sg on, 1..4096 with
                                         --sg off (default 64-1500); only the sending side uses it
          --seed S                       seed of the random sizes and payload (default 1)
          --sg on|off                    feature-sg: packets span slot chains, up to 65535 bytes (default on)
        """;

    public static PacketOptions Parse(SampleArguments arguments, string usage, bool front)
    {
        NetDirections directions = arguments.GetString("--direction") switch
        {
            null or "both" => NetDirections.Both,
            "tx" => NetDirections.Transmit,
            "rx" => NetDirections.Receive,
            string other => Fail<NetDirections>(usage, $"option '--direction' must be tx, rx or both, not '{other}'"),
        };

        bool scatterGather = arguments.GetSwitch("--sg", usage);
        ulong seed = (ulong)arguments.GetInt64("--seed", 1, 0, int.MaxValue, usage);
        int limit = scatterGather ? NetPacketLimits.MaxPacketSize : NetPacketLimits.MaxSingleSlotSize;
        PacketSizes? sizes = PacketSizes.Parse(arguments.GetString("--packet-size") ?? "64-1500", limit, seed, out string? error);
        if (sizes is null)
        {
            SampleArguments.Fail(usage, error!);
        }

        return new PacketOptions(directions, sizes!.Value, ParseGrantModes(arguments.GetString("--grant-mode"), usage, front), scatterGather);
    }

    /// <summary>The front wants one mode (default persistent); the back offers a comma-separated set (default every mode).</summary>
    private static NetGrantModes ParseGrantModes(string? text, string usage, bool front)
    {
        if (text is null)
        {
            return front ? NetGrantModes.Persistent : NetGrantModes.All;
        }

        NetGrantModes modes = NetGrantModes.None;
        foreach (string name in text.Split(','))
        {
            try
            {
                modes |= name == "all" && !front ? NetGrantModes.All : NetGrantModesExtensions.Parse(name);
            }
            catch (ArgumentException)
            {
                SampleArguments.Fail(usage, front
                    ? $"option '--grant-mode' must be copy, map, persistent, direct or deferred, not '{text}'"
                    : $"option '--grant-mode' must be all or a comma-separated list of copy, map, persistent, direct, deferred, not '{text}'");
            }
        }

        if (front && !System.Numerics.BitOperations.IsPow2((int)modes))
        {
            SampleArguments.Fail(usage, $"option '--grant-mode' of the front must be exactly one mode, not '{text}'");
        }

        return modes;
    }

    private static T Fail<T>(string usage, string message)
    {
        SampleArguments.Fail(usage, message);
        return default!;
    }
}
