// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Tests.Infrastructure;
using PvRing.Tests.Rings.Variants;
using PvRing.Protocols.Blkif;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Tests.Conformance;

/// <summary>
/// Every ring variant's offsets against a C reader that computes them on its own from the rules in
/// docs/ring-variants.md (tests/conformance/xen_ring_peer.c, <c>variant-layout</c> and <c>variant-read</c>): the
/// numbers for Xen's netif and blkif entry sizes, and a ring written by the C# front and back, read back in C.
/// </summary>
public sealed class RingVariantLayoutConformanceTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    public static TheoryData<int> FeatureSets() => [.. Enumerable.Range(0, 8)];

    [Theory]
    [MemberData(nameof(FeatureSets))]
    public void Geometry_XenEntrySizes_MatchesTheCReader(int features)
    {
        for (int order = 0; order <= 4; order++)
        {
            Check<NetifTxRequest, NetifTxResponse>(new RingVariant((RingFeatures)features, order, RingSlotKind.Network));
            Check<NetifRxRequest, NetifRxResponse>(new RingVariant((RingFeatures)features, order, RingSlotKind.Network));
            Check<BlkifRequest, BlkifResponse>(new RingVariant((RingFeatures)features, order, RingSlotKind.Block));
        }
    }

    [Theory]
    [MemberData(nameof(FeatureSets))]
    public void RingFile_WrittenByCSharp_ReadByCAtTheSameOffsets(int features)
    {
        foreach (int order in new[] { 0, 2 })
        {
            var variant = new RingVariant((RingFeatures)features, order, RingSlotKind.Network);
            using var host = new TempHost();
            using FrontRing<NetifTxRequest, NetifTxResponse> front = RingFile.Create<NetifTxRequest, NetifTxResponse>(host.Host, "ring", variant);
            using BackRing<NetifTxRequest, NetifTxResponse> back = RingFile.Attach<NetifTxRequest, NetifTxResponse>(host.Host, "ring", variant);

            // One and a half times round the ring, so the slots the reader checks hold the second lap.
            int total = front.Size + (front.Size / 2);
            var handler = default(NetifEchoHandler);
            for (int sent = 0; sent < total;)
            {
                using (SlotBatch<NetifTxRequest> batch = front.ClaimRequests(Math.Min(7, total - sent)))
                {
                    for (int i = 0; i < batch.Count; i++)
                    {
                        batch[i] = new NetifTxRequest { Id = (ushort)(sent + i), Size = 64 };
                    }

                    sent += batch.Count;
                }

                Assert.NotEqual(0, back.ServeRequests(ref handler, int.MaxValue));
                Assert.NotEqual(0, front.ConsumeResponses(new NetifTxResponse[front.Size]));
            }

            using ChildProcess reader = ChildProcess.Start(
                NativeTools.RingPeer, "variant-read", host.FilePath("ring"), features.ToString(CultureInfo.InvariantCulture), order.ToString(CultureInfo.InvariantCulture));
            reader.AssertExit(0, s_timeout);
            Assert.Contains($"count={front.Size} checked={front.Size} req_prod={total}", reader.Output, StringComparison.Ordinal);
        }
    }

    private static void Check<TRequest, TResponse>(RingVariant variant)
        where TRequest : unmanaged
        where TResponse : unmanaged
    {
        RingGeometry g = RingVariantLayout.Geometry<TRequest, TResponse>(variant);
        using ChildProcess layout = ChildProcess.Start(
            NativeTools.RingPeer,
            "variant-layout",
            ((int)variant.Features).ToString(CultureInfo.InvariantCulture),
            variant.Order.ToString(CultureInfo.InvariantCulture),
            ((int)variant.SlotKind).ToString(CultureInfo.InvariantCulture),
            System.Runtime.CompilerServices.Unsafe.SizeOf<TRequest>().ToString(CultureInfo.InvariantCulture),
            System.Runtime.CompilerServices.Unsafe.SizeOf<TResponse>().ToString(CultureInfo.InvariantCulture));
        layout.AssertExit(0, s_timeout);
        string expected = string.Create(CultureInfo.InvariantCulture,
            $"result: count={g.SlotCount} req_prod={g.RequestProducerOffset} req_event={g.RequestEventOffset} rsp_prod={g.ResponseProducerOffset} " +
            $"rsp_event={g.ResponseEventOffset} req_slots={g.RequestSlotsOffset} rsp_slots={g.ResponseSlotsOffset} req_stride={g.RequestSlotStride} rsp_stride={g.ResponseSlotStride}");
        Assert.Contains(expected, layout.Output, StringComparison.Ordinal);
    }
}
