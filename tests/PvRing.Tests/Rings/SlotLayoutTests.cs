// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;
using PvRing.Protocols.Blkif;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Tests.Rings;

/// <summary>
/// The slot layout a ring's batch loops are specialised for (<see cref="ISlotLayout"/>) addresses exactly the slots of
/// the view it was chosen for, for every variant, order and Xen entry type; and each variant gets the layout meant for it.
/// </summary>
public sealed unsafe class SlotLayoutTests
{
    public static TheoryData<RingFeatures, int> Variants
    {
        get
        {
            var data = new TheoryData<RingFeatures, int>();
            for (int features = 0; features < 8; features++)
            {
                for (int order = 0; order <= 4; order++)
                {
                    data.Add((RingFeatures)features, order);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void SlotLayout_EveryVariant_StridesAndResponseArrayAreTheViews(RingFeatures features, int order)
    {
        AssertLayoutMatchesView<NetifTxRequest, NetifTxResponse>(new RingVariant(features, order));
        AssertLayoutMatchesView<NetifRxRequest, NetifRxResponse>(new RingVariant(features, order));
        AssertLayoutMatchesView<BlkifRequest, BlkifResponse>(new RingVariant(features, order, RingSlotKind.Block));
    }

    [Theory]
    [InlineData(RingFeatures.None, nameof(SlotLayoutKind.ConstantUnion))]
    [InlineData(RingFeatures.SplitIndexes, nameof(SlotLayoutKind.ConstantUnion))]
    [InlineData(RingFeatures.AlignedSlots, nameof(SlotLayoutKind.AlignedUnionNetwork))]
    [InlineData(RingFeatures.SplitIndexes | RingFeatures.AlignedSlots, nameof(SlotLayoutKind.AlignedUnionNetwork))]
    [InlineData(RingFeatures.SplitRings, nameof(SlotLayoutKind.ConstantSplit))]
    [InlineData(RingFeatures.SplitIndexes | RingFeatures.SplitRings, nameof(SlotLayoutKind.ConstantSplit))]
    [InlineData(RingFeatures.AlignedSlots | RingFeatures.SplitRings, nameof(SlotLayoutKind.AlignedSplitNetwork))]
    [InlineData(RingFeatures.All, nameof(SlotLayoutKind.AlignedSplitNetwork))]
    public void SlotLayout_NetifTx_VariantGetsItsLayout(RingFeatures features, string expected)
    {
        using var mapping = new Mapping(RingVariantLayout.Length(new RingVariant(features)));
        Assert.Equal(expected, View<NetifTxRequest, NetifTxResponse>(new RingVariant(features), mapping).SlotLayout<NetifTxRequest, NetifTxResponse>().ToString());
    }

    [Fact]
    public void SlotLayout_ClassicBlkif_ConstantStrideIsTheUnionsSize()
    {
        using var mapping = new Mapping(RingVariantLayout.Length(RingVariant.Classic()));
        SharedRingView view = View<BlkifRequest, BlkifResponse>(new RingVariant(RingFeatures.None, 0, RingSlotKind.Block), mapping);
        Assert.Equal(SlotLayoutKind.ConstantUnion, view.SlotLayout<BlkifRequest, BlkifResponse>());
        Assert.Equal((nuint)112, ConstantUnionSlots<BlkifRequest, BlkifResponse>.Stride);
    }

    // blkif's 112-byte union pads to 128 for either kind, so the first aligned union layout fits; its 12-byte response
    // pads to 16 for network slots and to 64 for block slots, so only the block layout fits split rings.
    [Theory]
    [InlineData(RingFeatures.AlignedSlots, nameof(SlotLayoutKind.AlignedUnionNetwork))]
    [InlineData(RingFeatures.AlignedSlots | RingFeatures.SplitRings, nameof(SlotLayoutKind.AlignedSplitBlock))]
    [InlineData(RingFeatures.All, nameof(SlotLayoutKind.AlignedSplitBlock))]
    public void SlotLayout_Blkif_AlignedVariantGetsTheBlockLayout(RingFeatures features, string expected)
    {
        var variant = new RingVariant(features, 0, RingSlotKind.Block);
        using var mapping = new Mapping(RingVariantLayout.Length(variant));
        Assert.Equal(expected, View<BlkifRequest, BlkifResponse>(variant, mapping).SlotLayout<BlkifRequest, BlkifResponse>().ToString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(12)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(33)]
    [InlineData(48)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(112)]
    [InlineData(200)]
    public void AlignedStride_ConstantForm_EqualsRingVariantLayouts(int entrySize)
    {
        Assert.Equal((nuint)RingVariantLayout.AlignedStride(entrySize, RingSlotKind.Network), AlignedSplitSlots<byte, byte, NetworkSlotAlignment>.AlignedStride(entrySize));
        Assert.Equal((nuint)RingVariantLayout.AlignedStride(entrySize, RingSlotKind.Block), AlignedSplitSlots<byte, byte, BlockSlotAlignment>.AlignedStride(entrySize));
    }

    private static void AssertLayoutMatchesView<TRequest, TResponse>(RingVariant variant)
        where TRequest : unmanaged
        where TResponse : unmanaged
    {
        using var mapping = new Mapping(RingVariantLayout.Length(variant));
        SharedRingView view = View<TRequest, TResponse>(variant, mapping);
        (nuint request, nuint response, nint responseSlots) = view.SlotLayout<TRequest, TResponse>() switch
        {
            SlotLayoutKind.ConstantUnion => Addressing<ConstantUnionSlots<TRequest, TResponse>>(view),
            SlotLayoutKind.ConstantSplit => Addressing<ConstantSplitSlots<TRequest, TResponse>>(view),
            SlotLayoutKind.AlignedUnionNetwork => Addressing<AlignedUnionSlots<TRequest, TResponse, NetworkSlotAlignment>>(view),
            SlotLayoutKind.AlignedUnionBlock => Addressing<AlignedUnionSlots<TRequest, TResponse, BlockSlotAlignment>>(view),
            SlotLayoutKind.AlignedSplitNetwork => Addressing<AlignedSplitSlots<TRequest, TResponse, NetworkSlotAlignment>>(view),
            SlotLayoutKind.AlignedSplitBlock => Addressing<AlignedSplitSlots<TRequest, TResponse, BlockSlotAlignment>>(view),
            _ => Addressing<GeometrySlots>(view),
        };
        Assert.Equal((view.RequestStride, view.ResponseStride, (nint)view.ResponseSlots), (request, response, responseSlots));
    }

    private static (nuint Request, nuint Response, nint ResponseSlots) Addressing<TSlots>(SharedRingView view)
        where TSlots : struct, ISlotLayout =>
        (TSlots.RequestStride(in view), TSlots.ResponseStride(in view), (nint)TSlots.ResponseSlots(in view));

    private static SharedRingView View<TRequest, TResponse>(RingVariant variant, Mapping mapping)
        where TRequest : unmanaged
        where TResponse : unmanaged =>
        new(mapping.Pointer, mapping.Length, 0, RingVariantLayout.Geometry<TRequest, TResponse>(variant), sizeof(TRequest), sizeof(TResponse));

    private sealed class Mapping(long length) : IDisposable
    {
        public byte* Pointer { get; } = (byte*)NativeMemory.AllocZeroed((nuint)length);

        public long Length { get; } = length;

        public void Dispose() => NativeMemory.Free(Pointer);
    }
}
