// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Tests.Rings;

/// <summary>A peer that publishes impossible indices gets the library's protocol exception, not garbage.</summary>
public sealed class HostilePeerTests
{
    [Theory]
    [InlineData(257u)]
    [InlineData(100_000u)]
    [InlineData(uint.MaxValue)]
    public void UnconsumedRequests_RequestProducerOverflow_ThrowsProtocolException(uint requestProducer)
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        pair.RequestProducer = requestProducer;

        var e = Assert.Throws<PvRingProtocolException>(() => pair.Back.UnconsumedRequests);
        Assert.Contains($"req_prod={requestProducer}", e.Message);
        Assert.Throws<PvRingProtocolException>(() => pair.Back.ConsumeRequests(new NetifTxRequest[4]));
        Assert.Throws<PvRingProtocolException>(() => pair.Back.TryConsumeRequest(out _));
        Assert.Throws<PvRingProtocolException>(() => pair.Back.FinalCheckForRequests());
        Assert.Equal(0u, pair.Back.RequestConsumer); // nothing was consumed
    }

    [Fact]
    public void ConsumeRequests_RequestProducerMovesBackwards_ThrowsProtocolException()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        for (int i = 0; i < 10; i++)
        {
            pair.Front.ProduceRequest(default);
        }

        pair.Front.PushRequests();
        Assert.Equal(10, pair.Back.ConsumeRequests(new NetifTxRequest[10]));
        pair.RequestProducer = 5; // behind req_cons: stale or malicious

        Assert.Throws<PvRingProtocolException>(() => pair.Back.ConsumeRequests(new NetifTxRequest[10]));
    }

    [Fact]
    public void ConsumeResponses_MoreResponsesThanOutstanding_ThrowsProtocolException()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        pair.Front.ProduceRequest(default);
        pair.Front.PushRequests();
        pair.ResponseProducer = 2; // one request outstanding, two responses claimed

        var e = Assert.Throws<PvRingProtocolException>(() => pair.Front.ConsumeResponses(new NetifTxResponse[4]));
        Assert.Contains("rsp_prod=2", e.Message);
        Assert.Throws<PvRingProtocolException>(() => pair.Front.UnconsumedResponses);
        Assert.Equal(0u, pair.Front.ResponseConsumer);
    }

    [Fact]
    public void IsResponseProducerOverflow_BeyondRingSize_IsTrue()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        Assert.False(pair.Front.IsResponseProducerOverflow(256));
        Assert.True(pair.Front.IsResponseProducerOverflow(257));
        Assert.True(pair.Back.IsRequestProducerOverflow(257));
    }

    [Fact]
    public void Reattach_ImpossibleHeader_ThrowsProtocolException()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        pair.RequestProducer = 1000;
        Assert.Throws<PvRingProtocolException>(() => BackRing<NetifTxRequest, NetifTxResponse>.Reattach(pair.Raw, RingVariant.Classic(0)));
    }
}
