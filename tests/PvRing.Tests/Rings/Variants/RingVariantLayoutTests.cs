// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Rings;
using PvRing.TestPeer;

namespace PvRing.Tests.Rings.Variants;

/// <summary>
/// The wire layout of every variant, as numbers: header offsets, strides, slot counts, and the cache-line
/// properties each feature promises, checked for every combination, order 0..4 and the Xen slot sizes.
/// </summary>
public sealed class RingVariantLayoutTests
{
    private const int Line = RingVariantLayout.CacheLineSize;

    // (request, response) sizes: netif TX, netif RX, netif ctrl, blkif (x86_64), a 40-byte pair, and the tests' 16/16 messages.
    private static readonly (int Request, int Response, RingSlotKind Kind)[] s_entries =
        [(12, 4, RingSlotKind.Network), (8, 8, RingSlotKind.Network), (16, 16, RingSlotKind.Network), (112, 12, RingSlotKind.Block), (40, 40, RingSlotKind.Network), (16, 16, RingSlotKind.Block)];

    public static TheoryData<RingFeatures> AllFeatureSets => [.. Enumerable.Range(0, 8).Select(f => (RingFeatures)f)];

    [Fact]
    public void Geometry_Classic_IsXensSringForEveryOrder()
    {
        for (int order = 0; order <= 4; order++)
        {
            foreach ((int request, int response, RingSlotKind kind) in s_entries)
            {
                RingGeometry expected = RingGeometry.Classic(SharedRingLayout.LengthForOrder(order), Math.Max(request, response));
                Assert.Equal(expected, RingVariantLayout.Geometry(new RingVariant(RingFeatures.None, order, kind), request, response));
                Assert.Equal(SharedRingLayout.HeaderSize, expected.RequestSlotsOffset);
            }
        }
    }

    [Fact]
    public void Geometry_SplitIndexes_PairsInSeparate128ByteBlocksHeader256()
    {
        RingGeometry g = RingVariantLayout.Geometry(new RingVariant(RingFeatures.SplitIndexes), 12, 4);
        Assert.Equal((0, 4, 128, 132), (g.RequestProducerOffset, g.RequestEventOffset, g.ResponseProducerOffset, g.ResponseEventOffset));
        Assert.Equal(256, g.HeaderSize);
        Assert.Equal(256, g.RequestSlotsOffset);
        Assert.Equal(256, g.ResponseSlotsOffset);
        Assert.Equal((12, 12), (g.RequestSlotStride, g.ResponseSlotStride)); // one union array: the union's stride
        Assert.Equal(256, g.SlotCount); // (4096 - 256) / 12 = 320 -> 256, as classic
    }

    [Theory]
    [InlineData(12, RingSlotKind.Network, 16)]
    [InlineData(8, RingSlotKind.Network, 16)]
    [InlineData(16, RingSlotKind.Network, 16)]
    [InlineData(24, RingSlotKind.Network, 32)]
    [InlineData(40, RingSlotKind.Network, 64)]
    [InlineData(72, RingSlotKind.Network, 128)]
    [InlineData(112, RingSlotKind.Block, 128)]
    [InlineData(16, RingSlotKind.Block, 64)]
    [InlineData(64, RingSlotKind.Block, 64)]
    public void AlignedStride_EntrySize_PaddedToKindAndLine(int entry, RingSlotKind kind, int expected) =>
        Assert.Equal(expected, RingVariantLayout.AlignedStride(entry, kind));

    [Theory]
    [InlineData(RingFeatures.None, 12, 4, RingSlotKind.Network, 0, 256)]
    [InlineData(RingFeatures.None, 112, 12, RingSlotKind.Block, 0, 32)]
    [InlineData(RingFeatures.None, 112, 12, RingSlotKind.Block, 4, 512)]
    [InlineData(RingFeatures.AlignedSlots, 12, 4, RingSlotKind.Network, 0, 128)] // (4096 - 64) / 16 = 252 -> 128
    [InlineData(RingFeatures.AlignedSlots, 112, 12, RingSlotKind.Block, 0, 16)] // (4096 - 64) / 128 = 31 -> 16
    [InlineData(RingFeatures.SplitRings, 12, 4, RingSlotKind.Network, 0, 128)] // (4096 - 64) / (12 + 4) = 252 -> 128
    [InlineData(RingFeatures.SplitRings, 16, 16, RingSlotKind.Network, 0, 64)]
    [InlineData(RingFeatures.SplitRings | RingFeatures.SplitIndexes, 12, 4, RingSlotKind.Network, 0, 128)]
    [InlineData(RingFeatures.SplitRings, 112, 12, RingSlotKind.Block, 0, 32)] // (4096 - 64) / (112 + 12) = 32: as many as classic (16 with the union's stride)
    [InlineData(RingFeatures.SplitRings, 112, 12, RingSlotKind.Block, 4, 512)] // (65536 - 64) / 124 = 528 -> 512 (256 with the union's stride)
    [InlineData(RingFeatures.All, 112, 12, RingSlotKind.Block, 0, 16)] // (4096 - 256) / (128 + 64) = 20 -> 16 (8 with the union's stride)
    [InlineData(RingFeatures.All, 112, 12, RingSlotKind.Block, 4, 256)] // (65536 - 256) / 192 = 340 -> 256 (128 with the union's stride)
    public void SlotCount_XenEntrySizes_LargestPowerOfTwoThatFits(RingFeatures features, int request, int response, RingSlotKind kind, int order, int expected) =>
        Assert.Equal(expected, RingVariantLayout.Geometry(new RingVariant(features, order, kind), request, response).SlotCount);

    [Theory]
    [InlineData(RingFeatures.SplitRings, 12, 4, RingSlotKind.Network, 12, 4)]
    [InlineData(RingFeatures.SplitRings | RingFeatures.AlignedSlots, 12, 4, RingSlotKind.Network, 16, 16)]
    [InlineData(RingFeatures.SplitRings, 112, 12, RingSlotKind.Block, 112, 12)]
    [InlineData(RingFeatures.All, 112, 12, RingSlotKind.Block, 128, 64)]
    [InlineData(RingFeatures.SplitIndexes | RingFeatures.AlignedSlots, 112, 12, RingSlotKind.Block, 128, 128)] // one union array
    public void Geometry_SplitRings_EachArrayHasItsEntrysStride(RingFeatures features, int request, int response, RingSlotKind kind, int requestStride, int responseStride)
    {
        RingGeometry g = RingVariantLayout.Geometry(new RingVariant(features, 0, kind), request, response);
        Assert.Equal((requestStride, responseStride), (g.RequestSlotStride, g.ResponseSlotStride));
    }

    [Fact]
    public void Geometry_SplitRingsAndSplitIndexes_EachHalfHasItsIndexBlock()
    {
        RingGeometry g = RingVariantLayout.Geometry(new RingVariant(RingFeatures.SplitRings | RingFeatures.SplitIndexes), 12, 4);
        Assert.Equal((0, 4), (g.RequestProducerOffset, g.RequestEventOffset));
        Assert.Equal(128, g.RequestSlotsOffset);
        Assert.Equal(1664, g.ResponseProducerOffset); // 128 + 128 * 12 = 1664, a multiple of 128
        Assert.Equal(1668, g.ResponseEventOffset);
        Assert.Equal(1664 + 128, g.ResponseSlotsOffset);
    }

    [Theory]
    [MemberData(nameof(AllFeatureSets))]
    public void Geometry_EveryOrderAndEntry_FitsAndIndicesClearOfSlots(RingFeatures features)
    {
        foreach ((RingVariant variant, (int request, int response), RingGeometry g) in Geometries(features))
        {
            g.Validate(request, response);
            Assert.Equal(SharedRingLayout.LengthForOrder(variant.Order), g.Length);
            int union = Math.Max(request, response);
            Assert.Equal(Stride(variant, variant.SplitRings ? request : union), g.RequestSlotStride);
            Assert.Equal(Stride(variant, variant.SplitRings ? response : union), g.ResponseSlotStride);
            (long Start, long End)[] slots = [RequestArea(g), ResponseArea(g)];
            foreach (int index in new[] { g.RequestProducerOffset, g.RequestEventOffset, g.ResponseProducerOffset, g.ResponseEventOffset })
            {
                Assert.All(slots, area => Assert.False(index + 4 > area.Start && index < area.End, $"index at {index} inside slots [{area.Start}, {area.End}) of {variant}"));
            }

            // Nothing is wasted past the rounding: twice the slots would not fit.
            Assert.True(DoubledDoesNotFit(variant, g), $"{variant} request={request} response={response}: {g.SlotCount} slots is not the largest power of two");
        }
    }

    [Theory]
    [MemberData(nameof(AllFeatureSets))]
    public void Geometry_SplitIndexes_RequestAndResponsePairsOnDifferentLines(RingFeatures features)
    {
        foreach ((RingVariant variant, _, RingGeometry g) in Geometries(features))
        {
            bool apart = g.RequestProducerOffset / 128 != g.ResponseProducerOffset / 128;
            Assert.Equal(variant.SplitIndexes, apart);
            Assert.Equal(g.RequestProducerOffset / Line, g.RequestEventOffset / Line);
            Assert.Equal(g.ResponseProducerOffset / Line, g.ResponseEventOffset / Line);
            if (variant.SplitIndexes)
            {
                // Neither index block shares a 128-byte block with any slot.
                Assert.All(new[] { RequestArea(g), ResponseArea(g) }, area =>
                {
                    Assert.False(SharesBlock(g.RequestProducerOffset, g.RequestProducerOffset + 8, area.Start, area.End, 128), $"{variant}");
                    Assert.False(SharesBlock(g.ResponseProducerOffset, g.ResponseProducerOffset + 8, area.Start, area.End, 128), $"{variant}");
                });
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllFeatureSets))]
    public void Geometry_AlignedSlots_NoSlotStraddlesALine(RingFeatures features)
    {
        foreach ((RingVariant variant, (int request, int response), RingGeometry g) in Geometries(features))
        {
            int straddling = 0;
            foreach ((long start, int stride, int entry) in new[] { (g.RequestSlotsOffset, g.RequestSlotStride, request), (g.ResponseSlotsOffset, g.ResponseSlotStride, response) })
            {
                for (long i = 0; i < g.SlotCount; i++)
                {
                    long first = start + (i * stride);
                    straddling += first / Line != (first + entry - 1) / Line && entry <= Line ? 1 : 0;
                    straddling += entry > Line && first % Line != 0 ? 1 : 0;
                }
            }

            if (variant.AlignedSlots)
            {
                Assert.Equal(0, straddling);
                Assert.Equal(0, g.RequestSlotsOffset % Line);
                Assert.Equal(0, g.ResponseSlotsOffset % Line);
            }
            else if (request == 12 && variant.Order == 0)
            {
                Assert.NotEqual(0, straddling); // 12-byte slots do straddle lines: the feature is not a no-op
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllFeatureSets))]
    public void Geometry_SplitRings_RequestAndResponseAreasShareNoLine(RingFeatures features)
    {
        foreach ((RingVariant variant, _, RingGeometry g) in Geometries(features))
        {
            (long Start, long End) requests = RequestArea(g);
            (long Start, long End) responses = ResponseArea(g);
            if (variant.SplitRings)
            {
                Assert.True(requests.End <= responses.Start, $"{variant}");
                Assert.False(SharesBlock(requests.Start, requests.End, responses.Start, responses.End, 128), $"{variant}: request and response slots share a 128-byte block");
                Assert.Equal(0, g.ResponseSlotsOffset % RingVariantLayout.SplitRingsAlignment);
            }
            else
            {
                Assert.Equal(requests, responses);
            }
        }
    }

    [Fact]
    public void RingVariant_InvalidArguments_Rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RingVariant((RingFeatures)8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RingVariant(RingFeatures.None, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RingVariant(RingFeatures.None, SharedRingLayout.MaxOrder + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RingVariant(RingFeatures.None, 0, (RingSlotKind)7));
        Assert.Equal(RingVariant.Classic(), default);
        Assert.Equal("SplitIndexes+SplitRings order=2 Network", new RingVariant(RingFeatures.SplitIndexes | RingFeatures.SplitRings, 2).ToString());
    }

    [Fact]
    public void Attach_VariantOfAnotherOrder_ThrowsPvRingException()
    {
        using var host = new TempHost();
        using FrontRing<SequencedRequest, SequencedResponse> front = RingFile.Create<SequencedRequest, SequencedResponse>(host.Host, "ring", new RingVariant(RingFeatures.All, 2));
        var e = Assert.Throws<PvRingException>(() => RingFile.Attach<SequencedRequest, SequencedResponse>(host.Host, "ring", new RingVariant(RingFeatures.All, 1)));
        Assert.Contains("length=16384", e.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<(RingVariant Variant, (int Request, int Response) Entry, RingGeometry Geometry)> Geometries(RingFeatures features)
    {
        for (int order = 0; order <= 4; order++)
        {
            foreach ((int request, int response, RingSlotKind kind) in s_entries)
            {
                var variant = new RingVariant(features, order, kind);
                yield return (variant, (request, response), RingVariantLayout.Geometry(variant, request, response));
            }
        }
    }

    private static int Stride(RingVariant variant, int entry) => variant.AlignedSlots ? RingVariantLayout.AlignedStride(entry, variant.SlotKind) : entry;

    private static (long Start, long End) RequestArea(RingGeometry g) => (g.RequestSlotsOffset, g.RequestSlotsOffset + ((long)g.SlotCount * g.RequestSlotStride));

    private static (long Start, long End) ResponseArea(RingGeometry g) => (g.ResponseSlotsOffset, g.ResponseSlotsOffset + ((long)g.SlotCount * g.ResponseSlotStride));

    private static bool SharesBlock(long aStart, long aEnd, long bStart, long bEnd, int block) =>
        aStart / block <= (bEnd - 1) / block && bStart / block <= (aEnd - 1) / block;

    private static bool DoubledDoesNotFit(RingVariant variant, RingGeometry g)
    {
        long doubled = 2L * g.SlotCount;
        if (!variant.SplitRings)
        {
            return g.RequestSlotsOffset + (doubled * g.RequestSlotStride) > g.Length;
        }

        // The response half starts at the next multiple of 128 after the (doubled) request slots, behind its own index block.
        long responseHalf = (g.RequestSlotsOffset + (doubled * g.RequestSlotStride) + 127) / 128 * 128;
        return responseHalf + (variant.SplitIndexes ? RingVariantLayout.IndexBlockSize : 0) + (doubled * g.ResponseSlotStride) > g.Length;
    }
}
