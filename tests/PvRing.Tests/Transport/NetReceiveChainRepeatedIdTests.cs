// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Protocols.Netif;
using PvRing.Transport;

namespace PvRing.Tests.Transport;

/// <summary>
/// A hostile back end that names one posted receive buffer twice in a chain: the front refuses the chain before anything
/// is delivered, and its grant references stay whole. (The flake of <c>HostileChainFuzzTests</c>: the chain was delivered,
/// the id answered twice freed its grant reference twice, the free list then handed that one reference out again and
/// again, and the next device's tx and rx rings shared it, which the back refused.)
/// </summary>
public sealed class NetReceiveChainRepeatedIdTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(3, 1)]
    public async Task TryReceive_ChainNamesOneBufferTwice_RefusedAndTheNextDeviceConnects(int slots, int repeatedAt)
    {
        await using NetDeviceTestBed bed = await NetDeviceTestBed.CreateAsync(order: 0);
        var wants = NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = NetGrantModes.Copy };
        (NetFrontend front, NetBackend back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, wants);
        var posted = new NetifRxRequest[8];
        Assert.Equal(8, back.Queue.ReceiveRing.ConsumeRequests(posted));

        // A chain of slots + 1 responses (each 100 bytes, valid on its own) whose last names the buffer of slot repeatedAt.
        for (int slot = 0; slot <= slots; slot++)
        {
            ushort id = posted[slot == slots ? repeatedAt : slot].Id;
            back.Queue.ReceiveRing.ProduceResponse(new NetifRxResponse { Id = id, Offset = 0, Flags = slot < slots ? NetifRxFlags.MoreData : NetifRxFlags.None, Status = 100 });
        }

        back.Queue.ReceiveRing.PushResponses();
        var buffer = new byte[NetPacketLimits.MaxPacketSize];
        var refused = Assert.Throws<PvRingProtocolException>(() => front.Queue.TryReceive(buffer, out _));
        Assert.Contains($"name the same buffer, id={posted[repeatedAt].Id}", refused.Message, StringComparison.Ordinal);
        await bed.RecycleAsync(front, back);

        // The grant references came back once each: the next device's rings get references of their own and move a packet.
        (front, back) = await bed.ConnectBothAsync(NetDeviceFeatures.All, wants);
        await using (front)
        await using (back)
        {
            Assert.True(front.Queue.TrySend(new byte[64]));
            Assert.True(SpinWait.SpinUntil(() => back.Queue.TryReceive(buffer, out _), TimeSpan.FromSeconds(10)), "the packet never arrived");
        }
    }
}
