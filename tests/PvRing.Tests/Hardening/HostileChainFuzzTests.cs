// Licensed under the MIT License. See LICENSE in the repository root.

using CsCheck;
using PvRing.Tests.Transport;
using PvRing.Protocols.Netif;
using PvRing.Transport;

namespace PvRing.Tests.Hardening;

/// <summary>
/// The bounded hostile-peer fuzzer for transmit chains (issue 14, point 6), property-based with CsCheck: a front writes
/// random slot chains (grant references valid, ungranted or wild; offsets, sizes, flags and ids anywhere in their range)
/// into a connected device's transmit ring, and the back either delivers one packet that fits netif's rules (1 to 65535
/// bytes, every slot inside its page) or refuses with the library's <see cref="PvRingProtocolException"/>: never another
/// exception, a hang, or a packet whose bytes are not the front's. CsCheck prints the seed of a failing case; rerun it
/// with <c>CsCheck_Seed=SEED</c>.
/// </summary>
public sealed class HostileChainFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Cases = 150;

    [Theory]
    [InlineData(NetGrantModes.Copy)]
    [InlineData(NetGrantModes.Persistent)]
    [InlineData(NetGrantModes.DirectMap)]
    public async Task RandomTransmitChains_DeliveredValidOrRefusedWithProtocolError(NetGrantModes mode)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync(order: 0);
        var wants = NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = mode };

        // A slot: which page (one of 8 spare frames, granted or not) or a wild reference, and the other fields anywhere.
        Gen<(int Page, uint Wild, bool Granted, ushort Offset, ushort Size, NetifTxFlags Flags, ushort Id)> slot =
            Gen.Select(Gen.Int[-1, 7], Gen.UInt, Gen.Bool, Gen.Frequency((3, Gen.UShort[0, 4096]), (1, Gen.UShort)),
                Gen.Frequency((3, Gen.UShort[0, 4096]), (1, Gen.UShort)), Gen.Frequency((4, Gen.Const(NetifTxFlags.None)), (4, Gen.Const(NetifTxFlags.MoreData)), (1, Gen.Enum<NetifTxFlags>())),
                Gen.UShort, static (p, w, g, o, s, f, i) => (p, w, g, o, s, f, i));
        Gen<(int Page, uint Wild, bool Granted, ushort Offset, ushort Size, NetifTxFlags Flags, ushort Id)[]> chain = slot.Array[1, 20];

        int delivered = 0, refused = 0;
        var failures = new List<string>();
        chain.Sample(slots =>
        {
            (bool ok, string? failure) = RunCaseAsync(bed, wants, mode, slots).GetAwaiter().GetResult();
            delivered += ok ? 1 : 0;
            refused += ok ? 0 : 1;
            if (failure is not null)
            {
                failures.Add(failure);
                return false;
            }

            return true;
        }, iter: Cases, threads: 1);

        Assert.Empty(failures);
        Assert.Equal(Cases, delivered + refused);
        Assert.True(refused > 0, "no case was refused: the generator no longer reaches the checks");
        output.WriteLine($"{mode}: {Cases} random chains, {delivered} delivered, {refused} refused or held");
    }

    [Fact]
    public async Task RandomReceiveResponses_FrontDeliversValidOrRefusesWithProtocolError()
    {
        // The hostile back: it consumes the front's posted buffers and answers with random responses (ids of posted
        // buffers or any, offsets, flags and statuses anywhere, chains of 1 to 20).
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync(order: 0);
        var wants = NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = NetGrantModes.Copy };
        Gen<(bool PostedId, ushort Id, ushort Offset, NetifRxFlags Flags, short Status)[]> chain =
            Gen.Select(Gen.Bool, Gen.UShort, Gen.Frequency((3, Gen.UShort[0, 4096]), (1, Gen.UShort)),
                Gen.Frequency((4, Gen.Const(NetifRxFlags.None)), (4, Gen.Const(NetifRxFlags.MoreData)), (1, Gen.Enum<NetifRxFlags>())),
                Gen.Frequency((3, Gen.Short[1, 4096]), (1, Gen.Short)), static (p, i, o, f, st) => (p, i, o, f, st)).Array[1, 20];
        int delivered = 0, refused = 0;
        var failures = new List<string>();
        chain.Sample(responses =>
        {
            (bool ok, string? failure) = RunReceiveCaseAsync(bed, wants, responses).GetAwaiter().GetResult();
            delivered += ok ? 1 : 0;
            refused += ok ? 0 : 1;
            if (failure is not null)
            {
                failures.Add(failure);
            }

            return failure is null;
        }, iter: Cases, threads: 1);

        Assert.Empty(failures);
        Assert.True(refused > 0, "no case was refused: the generator no longer reaches the checks");
        output.WriteLine($"receive: {Cases} random response chains, {delivered} delivered, {refused} refused or held");
    }

    private static async Task<(bool Delivered, string? Failure)> RunReceiveCaseAsync(
        NetDeviceTestBed bed, NetDeviceFeatures wants, (bool PostedId, ushort Id, ushort Offset, NetifRxFlags Flags, short Status)[] responses)
    {
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, wants);
        try
        {
            var posted = new NetifRxRequest[64];
            int count = back.Queue.ReceiveRing.ConsumeRequests(posted);
            foreach ((bool postedId, ushort id, ushort offset, NetifRxFlags flags, short status) in responses)
            {
                ushort answer = postedId && count > 0 ? posted[id % count].Id : id;
                back.Queue.ReceiveRing.ProduceResponse(new NetifRxResponse { Id = answer, Offset = offset, Flags = flags, Status = status });
            }

            back.Queue.ReceiveRing.PushResponses();
            var buffer = new byte[NetPacketLimits.MaxPacketSize];
            try
            {
                if (!front.Queue.TryReceive(buffer, out int length))
                {
                    return length <= NetPacketLimits.MaxPacketSize ? (false, null) : (false, $"a pending packet of {length} bytes, over the limit");
                }

                return length is >= 1 and <= NetPacketLimits.MaxPacketSize ? (true, null) : (true, $"delivered {length} bytes");
            }
            catch (PvRingProtocolException)
            {
                return (false, null);
            }
            catch (Exception e)
            {
                return (false, $"{e.GetType().Name}: {e.Message}");
            }
        }
        finally
        {
            await bed.RecycleAsync(front, back);
        }
    }

    /// <summary>One case on a fresh device: true when a packet was delivered, false when refused; a failure text otherwise.</summary>
    private static async Task<(bool Delivered, string? Failure)> RunCaseAsync(
        NetDeviceTestBed bed, NetDeviceFeatures wants, NetGrantModes mode, (int Page, uint Wild, bool Granted, ushort Offset, ushort Size, NetifTxFlags Flags, ushort Id)[] slots)
    {
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, wants);
        var granted = new List<uint>();
        try
        {
            foreach ((int page, uint wild, bool isGranted, ushort offset, ushort size, NetifTxFlags flags, ushort id) in slots)
            {
                uint reference = page < 0 ? wild
                    : mode == NetGrantModes.DirectMap ? bed.SpareFrame + (uint)page
                    : isGranted ? Grant(bed, granted, page) : 7; // 7: a reserved entry, never granted
                Span<byte> frame = bed.Grants.GetFrame(bed.SpareFrame + (uint)Math.Max(0, page));
                frame.Fill((byte)(page + 1));
                front.Queue.TransmitRing.ProduceRequest(new NetifTxRequest { GrantRef = reference, Offset = offset, Flags = flags, Id = id, Size = size });
            }

            front.Queue.TransmitRing.PushRequests();
            var buffer = new byte[NetPacketLimits.MaxPacketSize];
            try
            {
                if (!back.Queue.TryReceive(buffer, out int length))
                {
                    // Nothing whole yet (a chain that says more data follows): not a packet, not an error; the ring holds it.
                    return length == 0 || length <= NetPacketLimits.MaxPacketSize
                        ? (false, null)
                        : (false, $"a pending packet of {length} bytes, over the limit");
                }

                return length is >= 1 and <= NetPacketLimits.MaxPacketSize
                    ? (true, null)
                    : (true, $"delivered {length} bytes");
            }
            catch (PvRingProtocolException)
            {
                return (false, null);
            }
            catch (Exception e)
            {
                return (false, $"{e.GetType().Name}: {e.Message}");
            }
        }
        finally
        {
            await bed.RecycleAsync(front, back);
            foreach (uint reference in granted)
            {
                bed.Grants.EndAccessWhenUnmapped(reference);
            }
        }
    }

    private static uint Grant(NetDeviceTestBed bed, List<uint> granted, int page)
    {
        uint reference = bed.Grants.GrantAccess(0, bed.SpareFrame + (uint)page, readOnly: false);
        granted.Add(reference);
        return reference;
    }
}
