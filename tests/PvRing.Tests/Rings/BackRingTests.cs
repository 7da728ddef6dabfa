// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Tests.Rings;

/// <summary>The back's ring.h operations: attaching, consuming within the response space, answering.</summary>
public sealed class BackRingTests
{
    [Fact]
    public unsafe void Attach_LiveRing_NeverTouchesSharedHeader()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        pair.Front.ProduceRequest(new NetifTxRequest { Id = 9 });
        pair.Front.PushRequests();
        byte[] before = new ReadOnlySpan<byte>(pair.Raw.Pointer, 4096).ToArray();

        using var second = BackRing<NetifTxRequest, NetifTxResponse>.Attach(pair.Raw, RingVariant.Classic(0));

        Assert.Equal(before, new ReadOnlySpan<byte>(pair.Raw.Pointer, 4096).ToArray());
        Assert.Equal(1, second.UnconsumedRequests);
    }

    [Fact]
    public void ConsumeRequests_ResponseSpaceExhausted_StopsAtRingSize()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        for (int i = 0; i < pair.Front.Size; i++)
        {
            pair.Front.ProduceRequest(new NetifTxRequest { Id = (ushort)i });
        }

        pair.Front.PushRequests();
        var buffer = new NetifTxRequest[1024];
        Assert.Equal(pair.Back.Size, pair.Back.ConsumeRequests(buffer));
        Assert.Equal(0, pair.Back.ConsumeRequests(buffer));
        Assert.True(pair.Back.IsRequestConsumerOverflow(pair.Back.RequestConsumer));
        Assert.Equal(pair.Back.Size, pair.Back.PendingResponses);
    }

    [Fact]
    public void ClaimResponses_AnswersInRequestSlots_FrontSeesThemInOrder()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        for (int i = 0; i < 5; i++)
        {
            pair.Front.ProduceRequest(new NetifTxRequest { Id = (ushort)(i * 3) });
        }

        pair.Front.PushRequests();
        var requests = new NetifTxRequest[8];
        int n = pair.Back.ConsumeRequests(requests);
        var notifier = new CountingNotifier();
        pair.Back.Notifier = notifier;
        using (SlotBatch<NetifTxResponse> batch = pair.Back.ClaimResponses(100))
        {
            Assert.Equal(n, batch.Count);
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i] = new NetifTxResponse { Id = requests[i].Id, Status = NetifStatus.Okay };
            }
        }

        Assert.Equal(1, notifier.Count); // rsp_event = 1 from SHARED_RING_INIT
        var responses = new NetifTxResponse[8];
        Assert.Equal(5, pair.Front.ConsumeResponses(responses));
        Assert.Equal(new ushort[] { 0, 3, 6, 9, 12 }, responses[..5].Select(r => r.Id));
    }

    [Fact]
    public void ProduceResponse_NoPendingRequest_Throws()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        Assert.Throws<InvalidOperationException>(() => pair.Back.ProduceResponse(default));
    }

    [Fact]
    public void TryConsumeRequest_ValidatorRejectsCopy_ThrowsProtocolExceptionNamingFields()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        pair.Front.ProduceRequest(new NetifTxRequest { Id = 4, Offset = 4000, Size = 200 });
        pair.Front.PushRequests();

        var e = Assert.Throws<PvRingProtocolException>(() => pair.Back.TryConsumeRequest(default(NetifTxRequestValidator), out _));
        Assert.Contains("offset=4000", e.Message);
        Assert.Contains("size=200", e.Message);
    }

    [Fact]
    public void TryConsumeRequest_ValidRequest_ReturnsCopy()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        pair.Front.ProduceRequest(new NetifTxRequest { Id = 4, Offset = 96, Size = 4000 });
        pair.Front.PushRequests();

        Assert.True(pair.Back.TryConsumeRequest(default(NetifTxRequestValidator), out NetifTxRequest request));
        Assert.Equal(4000, request.Size);
        Assert.False(pair.Back.TryConsumeRequest(default(NetifTxRequestValidator), out _));
    }

    [Fact]
    public void Reattach_AfterTraffic_ResumesAtPublishedResponseProducer()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        for (int i = 0; i < 3; i++)
        {
            pair.Front.ProduceRequest(new NetifTxRequest { Id = (ushort)i });
        }

        pair.Front.PushRequests();
        Assert.True(pair.Back.TryConsumeRequest(out _));
        pair.Back.ProduceResponse(default);
        pair.Back.PushResponses();

        using var restarted = BackRing<NetifTxRequest, NetifTxResponse>.Reattach(pair.Raw, RingVariant.Classic(0));
        Assert.Equal(1u, restarted.RequestConsumer);
        Assert.Equal(2, restarted.UnconsumedRequests);
    }
}
