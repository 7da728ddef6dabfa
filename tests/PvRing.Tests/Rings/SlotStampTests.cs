// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Tests.Infrastructure;

namespace PvRing.Tests.Rings;

/// <summary>
/// The stamps of inline slots (<see cref="RingVariantLayout.InlineStampOffset"/>): where they are, what the producer
/// writes, how the consumer takes a slot by its stamp before the index covers it, and what a hostile stamp cannot do.
/// </summary>
public sealed unsafe class SlotStampTests
{
    private static readonly RingVariant s_transmit = new(RingFeatures.All, 2, RingSlotKind.InlineRequests);
    private static readonly RingVariant s_receive = new(RingFeatures.All, 2, RingSlotKind.InlineResponses);

    public static TheoryData<RingFeatures> AlignedLayouts => [RingFeatures.AlignedSlots, RingFeatures.All, RingFeatures.AlignedSlots | RingFeatures.SplitRings, RingFeatures.AlignedSlots | RingFeatures.SplitIndexes];

    [Theory]
    [MemberData(nameof(AlignedLayouts))]
    public void Geometry_AlignedInlineSlots_StampTheInlineDirectionOnly(RingFeatures features)
    {
        RingGeometry transmit = RingVariantLayout.Geometry<NetifTxRequest, NetifTxResponse>(new RingVariant(features, 2, RingSlotKind.InlineRequests));
        RingGeometry receive = RingVariantLayout.Geometry<NetifRxRequest, NetifRxResponse>(new RingVariant(features, 2, RingSlotKind.InlineResponses));

        Assert.Equal((RingVariantLayout.InlineStampOffset, -1), (transmit.RequestStampOffset, transmit.ResponseStampOffset));
        Assert.Equal((-1, RingVariantLayout.InlineStampOffset), (receive.RequestStampOffset, receive.ResponseStampOffset));
    }

    [Fact]
    public void Geometry_NoInlineSlotsOrNoRoom_NoStamps()
    {
        // Classic, network and block slots carry none; nor inline slots without aligned slots (no 128-byte slot), nor an
        // inline union array whose other entry would reach the stamp (a 112-byte block request shares the slot).
        RingGeometry[] none =
        [
            RingVariantLayout.Geometry<NetifTxRequest, NetifTxResponse>(RingVariant.Classic(2)),
            RingVariantLayout.Geometry<NetifTxRequest, NetifTxResponse>(new RingVariant(RingFeatures.All, 2, RingSlotKind.Network)),
            RingVariantLayout.Geometry<NetifTxRequest, NetifTxResponse>(new RingVariant(RingFeatures.SplitIndexes | RingFeatures.SplitRings, 2, RingSlotKind.InlineRequests)),
            RingVariantLayout.Geometry(new RingVariant(RingFeatures.AlignedSlots, 2, RingSlotKind.InlineRequests), 12, 16),
            RingVariantLayout.Geometry(new RingVariant(RingFeatures.All, 2, RingSlotKind.InlineResponses), 8, 13),
        ];

        Assert.All(none, g => Assert.Equal((-1, -1), (g.RequestStampOffset, g.ResponseStampOffset)));
    }

    [Fact]
    public void PushRequests_StampsEachPublishedSlotWithItsIndexPlusOne()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>(s_transmit);
        for (int i = 0; i < 3; i++)
        {
            pair.Front.ProduceRequest(NetifEntries.TxRequest(0, NetifTxFlags.Inline, (ushort)i, 1));
        }

        Assert.Equal(0u, RequestStamp(pair, 0)); // produced, not yet published
        pair.Front.PushRequests();

        Assert.Equal([1u, 2u, 3u, 0u], [RequestStamp(pair, 0), RequestStamp(pair, 1), RequestStamp(pair, 2), RequestStamp(pair, 3)]);
        Assert.Equal(2, ReadSlot(pair, 2).Id); // the stamp leaves the entry alone
    }

    [Fact]
    public void TryConsumeRequest_StampsAheadOfTheIndex_TakesTheSlotsAndIgnoresTheLaggingIndex()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>(s_transmit);
        for (int i = 0; i < 3; i++)
        {
            pair.Front.ProduceRequest(NetifEntries.TxRequest(0, NetifTxFlags.Inline, (ushort)(10 + i), 1));
        }

        pair.Front.PushRequests();
        pair.RequestProducer = 0; // as if the index's store had not reached this side yet

        Assert.Equal(3, pair.Back.UnconsumedRequests);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(pair.Back.TryConsumeRequest(out NetifTxRequest request));
            Assert.Equal(10 + i, request.Id);
        }

        Assert.False(pair.Back.TryConsumeRequest(out _)); // an index behind the stamps is not an error
        Assert.Equal(0, pair.Back.UnconsumedRequests);
        pair.RequestProducer = 3;
        Assert.Equal(0, pair.Back.UnconsumedRequests);
    }

    [Fact]
    public void TryConsumeResponse_StampsAheadOfTheIndex_TakesTheResponses()
    {
        using var pair = new RingPair<NetifRxRequest, NetifRxResponse>(s_receive);
        PostFourAndAnswerTwo(pair, firstId: 2);
        pair.ResponseProducer = 0;

        Assert.True(pair.Front.TryConsumeResponse(out NetifRxResponse first));
        Assert.True(pair.Front.TryConsumeResponse(out NetifRxResponse second));
        Assert.False(pair.Front.TryConsumeResponse(out _));
        Assert.Equal((2, 3), (first.Id, second.Id));
    }

    [Fact]
    public void UnconsumedResponses_StampedResponsesWaiting_ReadsTheIndexOnlyOnceTheyAreConsumed()
    {
        // Taken by their stamps, the waiting responses are what the index could say: it is not read (its line is the one
        // the back just wrote) until they are consumed. A hostile index published meanwhile is caught then.
        using var pair = new RingPair<NetifRxRequest, NetifRxResponse>(s_receive);
        PostFourAndAnswerTwo(pair, firstId: 0);
        Assert.Equal(2, pair.Front.UnconsumedResponses);

        pair.ResponseProducer = 1000; // more responses than requests made

        Assert.Equal(2, pair.Front.UnconsumedResponses);
        Assert.True(pair.Front.TryConsumeResponse(out _));
        Assert.True(pair.Front.TryConsumeResponse(out _));
        Assert.Throws<PvRingProtocolException>(() => pair.Front.UnconsumedResponses);
    }

    [Fact]
    public void UnconsumedRequests_StampedRequestsWaiting_ReadsTheIndexOnlyOnceTheyAreConsumed()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>(s_transmit);
        for (int i = 0; i < 3; i++)
        {
            pair.Front.ProduceRequest(NetifEntries.TxRequest(0, NetifTxFlags.Inline, (ushort)i, 1));
        }

        pair.Front.PushRequests();
        Assert.Equal(3, pair.Back.UnconsumedRequests);

        pair.RequestProducer = (uint)(pair.Back.Size * 3); // more than a ring past the responses made

        Assert.Equal(3, pair.Back.UnconsumedRequests);
        Assert.Equal(3, pair.Back.ConsumeRequests(new NetifTxRequest[8]));
        Assert.Throws<PvRingProtocolException>(() => pair.Back.UnconsumedRequests);
    }

    [Fact]
    public void UnconsumedResponses_HostileStampsBeyondTheRequestsMade_TakesNoMoreThanWereAsked()
    {
        using var pair = new RingPair<NetifRxRequest, NetifRxResponse>(s_receive);
        pair.Front.ProduceRequest(NetifEntries.RxRequest(0, 0));
        pair.Front.ProduceRequest(NetifEntries.RxRequest(1, 0));
        pair.Front.PushRequests();
        for (uint i = 0; i < 8; i++)
        {
            WriteResponseStamp(pair, i, i + 1); // stamps for eight responses, two buffers posted
        }

        Assert.Equal(2, pair.Front.UnconsumedResponses);
        Assert.Equal(2, pair.Front.ConsumeResponses(new NetifRxResponse[8]));
        Assert.Equal(0, pair.Front.UnconsumedResponses);
    }

    [Fact]
    public void UnconsumedRequests_HostileStampsForAWholeRingAndMore_TakesOneRingAtMost()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>(s_transmit);
        int size = pair.Back.Size;
        for (uint i = 0; i < (uint)size; i++)
        {
            WriteRequestStamp(pair, i, i + 1);
        }

        Assert.Equal(size, pair.Back.UnconsumedRequests);
        Assert.Equal(size, pair.Back.ConsumeRequests(new NetifTxRequest[size * 2]));
        Assert.Equal(0, pair.Back.ConsumeRequests(new NetifTxRequest[size])); // the next lap's stamps are not there
    }

    [Fact]
    public void Initialize_StaleStampsInTheFile_ClearedSoNoneIsTaken()
    {
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>(s_transmit);
        pair.Front.ProduceRequest(NetifEntries.TxRequest(0, NetifTxFlags.Inline, 7, 1));
        pair.Front.PushRequests();
        Assert.Equal(1u, RequestStamp(pair, 0));

        // A new front initialises the same memory (a reconnect that starts over): the old stamp must not pass for index 0.
        using FrontRing<NetifTxRequest, NetifTxResponse> again = FrontRing<NetifTxRequest, NetifTxResponse>.Initialize(pair.Raw, s_transmit);
        using BackRing<NetifTxRequest, NetifTxResponse> back = BackRing<NetifTxRequest, NetifTxResponse>.Attach(pair.Raw, s_transmit);

        Assert.Equal(0u, RequestStamp(pair, 0));
        Assert.Equal(0, back.UnconsumedRequests);
    }

    [Fact]
    public void StampedRing_AcrossTheIndexWrap_EveryRequestOnceInOrder()
    {
        // From 2^32 - 40 on: index 2^32 - 1 has stamp 0, a cleared slot's value, so it is taken by the index alone.
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>(s_transmit, startIndex: uint.MaxValue - 40);
        int next = 0;
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < 5; i++)
            {
                pair.Front.ProduceRequest(NetifEntries.TxRequest(0, NetifTxFlags.Inline, (ushort)(next + i), 1));
            }

            pair.Front.PushRequests();
            for (int i = 0; i < 5; i++)
            {
                Assert.True(pair.Back.TryConsumeRequest(out NetifTxRequest request));
                Assert.Equal(next++, request.Id);
                pair.Back.ProduceResponse(NetifEntries.TxResponse(request.Id, NetifStatus.Okay));
            }

            Assert.False(pair.Back.TryConsumeRequest(out _));
            pair.Back.PushResponses();
            Assert.Equal(5, pair.Front.ConsumeResponses(new NetifTxResponse[8]));
        }
    }

    [Fact]
    public void StampedRing_IndexWrapWithFreshMemory_SlotOfIndexMaxIsNotTakenByItsZeroStamp()
    {
        // Fresh (zero) memory reads as index 2^32 - 1's stamp; the consumer must wait for the index there.
        using var pair = new RingPair<NetifTxRequest, NetifTxResponse>(s_transmit, startIndex: uint.MaxValue);

        Assert.Equal(0, pair.Back.UnconsumedRequests);
        Assert.False(pair.Back.TryConsumeRequest(out _));
    }

    /// <summary>The front posts four buffers, the back takes them and answers two (ids <paramref name="firstId"/> and the next), inline.</summary>
    private static void PostFourAndAnswerTwo(RingPair<NetifRxRequest, NetifRxResponse> pair, ushort firstId)
    {
        for (int i = 0; i < 4; i++)
        {
            pair.Front.ProduceRequest(NetifEntries.RxRequest((ushort)i, 0));
        }

        pair.Front.PushRequests();
        Assert.Equal(4, pair.Back.ConsumeRequests(new NetifRxRequest[4]));
        pair.Back.ProduceResponse(NetifEntries.RxResponse(firstId, NetifRxFlags.Inline, 5));
        pair.Back.ProduceResponse(NetifEntries.RxResponse((ushort)(firstId + 1), NetifRxFlags.Inline, 6));
        pair.Back.PushResponses();
    }

    private static uint RequestStamp(RingPair<NetifTxRequest, NetifTxResponse> pair, uint index) =>
        BinaryPrimitives.ReadUInt32LittleEndian(RequestSlot(pair, index)[RingVariantLayout.InlineStampOffset..]);

    private static NetifTxRequest ReadSlot(RingPair<NetifTxRequest, NetifTxResponse> pair, uint index) =>
        System.Runtime.InteropServices.MemoryMarshal.Read<NetifTxRequest>(RequestSlot(pair, index));

    private static Span<byte> RequestSlot(RingPair<NetifTxRequest, NetifTxResponse> pair, uint index) =>
        new(pair.Raw.Pointer + pair.Geometry.RequestSlotsOffset + ((index & (uint)(pair.Geometry.SlotCount - 1)) * pair.Geometry.RequestSlotStride), pair.Geometry.RequestSlotStride);

    private static void WriteRequestStamp(RingPair<NetifTxRequest, NetifTxResponse> pair, uint index, uint stamp) =>
        BinaryPrimitives.WriteUInt32LittleEndian(RequestSlot(pair, index)[RingVariantLayout.InlineStampOffset..], stamp);

    private static void WriteResponseStamp(RingPair<NetifRxRequest, NetifRxResponse> pair, uint index, uint stamp) =>
        BinaryPrimitives.WriteUInt32LittleEndian(
            new Span<byte>(pair.Raw.Pointer + pair.Geometry.ResponseSlotsOffset + ((index & (uint)(pair.Geometry.SlotCount - 1)) * pair.Geometry.ResponseSlotStride), pair.Geometry.ResponseSlotStride)[RingVariantLayout.InlineStampOffset..],
            stamp);
}
