// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Tests.Rings;

/// <summary>The front's ring.h operations: initialisation, flow control, publishing and notification.</summary>
public sealed class FrontRingTests
{
    [Fact]
    public unsafe void Initialize_DirtyMemory_HeaderIsSharedRingInit()
    {
        using var host = new PvRing.Tests.Infrastructure.TempHost();
        using PvRing.Memory.SharedMemoryFile memory = host.Host.CreateFile("dirty", 4096);
        new Span<byte>(memory.Pointer, 4096).Fill(0xA5);

        using var front = FrontRing<NetifTxRequest, NetifTxResponse>.Initialize(memory, RingVariant.Classic(0));

        var header = new ReadOnlySpan<byte>(memory.Pointer, SharedRingLayout.HeaderSize);
        Assert.Equal(0u, BitConverter.ToUInt32(header[0..4]));
        Assert.Equal(1u, BitConverter.ToUInt32(header[4..8]));
        Assert.Equal(0u, BitConverter.ToUInt32(header[8..12]));
        Assert.Equal(1u, BitConverter.ToUInt32(header[12..16]));
        Assert.True(header[16..].IndexOfAnyExcept((byte)0) < 0, "pvt and __pad must be zero");
        Assert.Equal(256, front.Size);
        Assert.Equal(256, front.FreeRequests);
    }

    [Fact]
    public void ProduceRequest_RingFull_ThrowsAndLosesNothing()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        for (int i = 0; i < pair.Front.Size; i++)
        {
            pair.Front.ProduceRequest(new NetifTxRequest { Id = (ushort)i });
        }

        Assert.True(pair.Front.IsFull);
        Assert.Equal(0, pair.Front.FreeRequests);
        Assert.Throws<InvalidOperationException>(() => pair.Front.ProduceRequest(default));
        Assert.Equal((uint)pair.Front.Size, pair.Front.RequestProducerPrivate);
    }

    [Fact]
    public void PushRequestsAndCheckNotify_FirstPush_NotifiesThenHoldsOff()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        pair.Front.ProduceRequest(default);
        Assert.True(pair.Front.PushRequestsAndCheckNotify()); // req_event = 1 after SHARED_RING_INIT
        Assert.Equal(1u, pair.RequestProducer);

        pair.Front.ProduceRequest(default);
        Assert.False(pair.Front.PushRequestsAndCheckNotify()); // the back has not re-armed req_event
    }

    [Fact]
    public void PushRequestsAndCheckNotify_BackArmedByFinalCheck_Notifies()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        pair.Front.ProduceRequest(default);
        pair.Front.PushRequests();
        Assert.True(pair.Back.TryConsumeRequest(out _));
        Assert.False(pair.Back.FinalCheckForRequests());
        Assert.Equal(2u, pair.RequestEvent); // req_cons + 1

        pair.Front.ProduceRequest(default);
        Assert.True(pair.Front.PushRequestsAndCheckNotify());
    }

    [Fact]
    public void ClaimRequests_Dispose_PublishesOnceAndCallsNotifier()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        var notifier = new CountingNotifier();
        pair.Front.Notifier = notifier;

        using (SlotBatch<NetifTxRequest> batch = pair.Front.ClaimRequests(10))
        {
            Assert.Equal(10, batch.Count);
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i] = new NetifTxRequest { Id = (ushort)(100 + i) };
            }

            Assert.Equal(0u, pair.RequestProducer); // nothing visible before the scope ends
        }

        Assert.Equal(10u, pair.RequestProducer);
        Assert.Equal(1, notifier.Count);
        Assert.Equal(10, pair.Back.UnconsumedRequests);
        Assert.True(pair.Back.TryConsumeRequest(out NetifTxRequest first));
        Assert.Equal(100, first.Id);
    }

    [Fact]
    public void ClaimRequests_MoreThanFree_ClaimsOnlyFree()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        using (SlotBatch<NetifTxRequest> batch = pair.Front.ClaimRequests(10_000))
        {
            Assert.Equal(pair.Front.Size, batch.Count);
            bool threw = false;
            try
            {
                _ = batch[batch.Count];
            }
            catch (ArgumentOutOfRangeException)
            {
                threw = true;
            }

            Assert.True(threw, "indexing past the batch must throw");
        }

        using SlotBatch<NetifTxRequest> none = pair.Front.ClaimRequests(1);
        Assert.Equal(0, none.Count);
    }

    [Fact]
    public void FinalCheckForResponses_NothingWaiting_ArmsEventAndReturnsFalse()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        pair.Front.ProduceRequest(default);
        pair.Front.PushRequests();
        Assert.False(pair.Front.FinalCheckForResponses());
        Assert.Equal(1u, pair.ResponseEvent); // rsp_cons + 1

        Assert.True(pair.Back.TryConsumeRequest(out _));
        pair.Back.ProduceResponse(new NetifTxResponse { Id = 7 });
        Assert.True(pair.Back.PushResponsesAndCheckNotify());
        Assert.True(pair.Front.FinalCheckForResponses());
    }

    [Fact]
    public void CopyResponse_SlotChangesAfterCopy_CopyUnchanged()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        pair.Front.ProduceRequest(default);
        pair.Front.PushRequests();
        Assert.True(pair.Back.TryConsumeRequest(out _));
        pair.Back.ProduceResponse(new NetifTxResponse { Id = 1, Status = NetifStatus.Okay });
        pair.Back.PushResponses();

        NetifTxResponse copy = pair.Front.CopyResponse(0);
        pair.Back.GetResponse(0).Status = NetifStatus.Error; // a hostile back rewrites the slot

        Assert.Equal(NetifStatus.Okay, copy.Status);
    }

    [Fact]
    public void Dispose_ThenUse_ThrowsObjectDisposed()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>();
        pair.Front.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pair.Front.ProduceRequest(default));
        Assert.Throws<ObjectDisposedException>(() => pair.Front.TryConsumeResponse(out _));
    }
}
