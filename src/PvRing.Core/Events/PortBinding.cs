// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Events;

/// <summary>
/// The 8-byte binding word of a port entry: state u8, a zero byte, remote domid u16, remote port u32, read and
/// written as one little-endian u64 so a bind is a single compare-exchange.
/// </summary>
internal readonly record struct PortBinding(PortState State, int RemoteDomainId, uint RemotePort)
{
    /// <summary>The packed word.</summary>
    internal ulong Value => (byte)State | ((ulong)(ushort)RemoteDomainId << 16) | ((ulong)RemotePort << 32);

    /// <summary>Unpacks a word read from shared memory; <see cref="IsWellFormed"/> says whether it can be trusted.</summary>
    internal static PortBinding FromValue(ulong value) => new((PortState)(byte)value, (ushort)(value >> 16), (uint)(value >> 32));

    /// <summary>Whether the raw word has a known state, a zero reserved byte and, when bound, a port in range.</summary>
    internal static bool IsWellFormed(ulong value)
    {
        PortBinding binding = FromValue(value);
        if (((value >> 8) & 0xFF) != 0)
        {
            return false;
        }

        return binding.State switch
        {
            PortState.Free => value == 0,
            PortState.Unbound => binding.RemotePort == 0,
            PortState.Interdomain or PortState.PeerClosed => binding.RemotePort is > 0 and < EventPageLayout.MaxPorts,
            _ => false,
        };
    }

    /// <inheritdoc/>
    public override string ToString() => $"state={State} remoteDomid={RemoteDomainId} remotePort={RemotePort}";
}
