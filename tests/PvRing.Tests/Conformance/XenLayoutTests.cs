// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PvRing.Tests.Infrastructure;
using PvRing.Grants;
using PvRing.Protocols.Blkif;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Tests.Conformance;

/// <summary>
/// Every struct size, field offset, ring header offset, union entry size, RING_SIZE for orders 0..4 and
/// protocol constant (rings, netif, blkif, grant_entry_v1, GTF_* and GNTST_*), compared with what gcc computes
/// from Debian's libxen-dev headers
/// (tests/conformance/xen_layout.c).
/// </summary>
public sealed class XenLayoutTests
{
    private static readonly Lazy<Dictionary<string, long>> s_xen = new(ReadXen);

    public static TheoryData<string> Keys()
    {
        var data = new TheoryData<string>();
        foreach (string key in Expected().Keys)
        {
            data.Add(key);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void Layout_MatchesXenHeaders(string key)
    {
        Assert.True(s_xen.Value.TryGetValue(key, out long xen), $"xen_layout printed no '{key}'");
        Assert.Equal(xen, Expected()[key]);
    }

    [Fact]
    public void Layout_EveryFactXenPrints_IsChecked()
    {
        Assert.Empty(s_xen.Value.Keys.Except(Expected().Keys));
    }

    private static Dictionary<string, long> ReadXen()
    {
        using ChildProcess layout = ChildProcess.Start(NativeTools.Layout);
        layout.AssertExit(0, TimeSpan.FromSeconds(30));
        return layout.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .ToDictionary(parts => parts[0], parts => long.Parse(parts[1]));
    }

    private static Dictionary<string, long> Expected()
    {
        var facts = new Dictionary<string, long>();
        void Struct<T>(string name, params (string C, string CSharp)[] fields)
            where T : unmanaged
        {
            facts[$"sizeof.{name}"] = Unsafe.SizeOf<T>();
            foreach ((string c, string cs) in fields)
            {
                facts[$"offsetof.{name}.{c}"] = (long)Marshal.OffsetOf<T>(cs);
            }
        }

        Struct<NetifTxRequest>("netif_tx_request", ("gref", "GrantRef"), ("offset", "Offset"), ("flags", "Flags"), ("id", "Id"), ("size", "Size"));
        Struct<NetifTxResponse>("netif_tx_response", ("id", "Id"), ("status", "Status"));
        Struct<NetifRxRequest>("netif_rx_request", ("id", "Id"), ("pad", "Pad"), ("gref", "GrantRef"));
        Struct<NetifRxResponse>("netif_rx_response", ("id", "Id"), ("offset", "Offset"), ("flags", "Flags"), ("status", "Status"));
        Struct<NetifExtraInfo>(
            "netif_extra_info",
            ("type", "Type"),
            ("flags", "Flags"),
            ("u.gso.size", "GsoSize"),
            ("u.gso.type", "GsoType"),
            ("u.gso.pad", "GsoPad"),
            ("u.gso.features", "GsoFeatures"),
            ("u.mcast.addr", "MulticastAddress"),
            ("u.hash.type", "HashType"),
            ("u.hash.algorithm", "HashAlgorithm"),
            ("u.hash.value", "HashValue"));
        Struct<BlkifRequestSegment>("blkif_request_segment", ("gref", "GrantRef"), ("first_sect", "FirstSector"), ("last_sect", "LastSector"));
        Struct<BlkifRequest>(
            "blkif_request",
            ("operation", "Operation"),
            ("nr_segments", "SegmentCount"),
            ("handle", "Handle"),
            ("id", "Id"),
            ("sector_number", "SectorNumber"),
            ("seg", "Segments"));
        Struct<BlkifResponse>("blkif_response", ("id", "Id"), ("operation", "Operation"), ("status", "Status"));

        facts["offsetof.netif_tx_sring.req_prod"] = SharedRingLayout.RequestProducerOffset;
        facts["offsetof.netif_tx_sring.req_event"] = SharedRingLayout.RequestEventOffset;
        facts["offsetof.netif_tx_sring.rsp_prod"] = SharedRingLayout.ResponseProducerOffset;
        facts["offsetof.netif_tx_sring.rsp_event"] = SharedRingLayout.ResponseEventOffset;
        facts["offsetof.netif_tx_sring.pvt"] = SharedRingLayout.PrivateOffset;
        facts["offsetof.netif_tx_sring.__pad"] = SharedRingLayout.PadOffset;
        facts["offsetof.netif_tx_sring.ring"] = SharedRingLayout.HeaderSize;

        void Ring<TRequest, TResponse>(string name)
            where TRequest : unmanaged
            where TResponse : unmanaged
        {
            int entry = SharedRingLayout.EntrySize<TRequest, TResponse>();
            facts[$"entry.{name}"] = entry;
            for (int order = 0; order <= 4; order++)
            {
                facts[$"ring_size.{name}.{order}"] = SharedRingLayout.SlotCount(order, entry);
            }
        }

        Ring<NetifTxRequest, NetifTxResponse>("netif_tx");
        Ring<NetifRxRequest, NetifRxResponse>("netif_rx");
        Ring<BlkifRequest, BlkifResponse>("blkif");

        facts["const.NETTXF_csum_blank"] = (long)NetifTxFlags.ChecksumBlank;
        facts["const.NETTXF_data_validated"] = (long)NetifTxFlags.DataValidated;
        facts["const.NETTXF_more_data"] = (long)NetifTxFlags.MoreData;
        facts["const.NETTXF_extra_info"] = (long)NetifTxFlags.ExtraInfo;
        facts["const.NETIF_RSP_DROPPED"] = NetifStatus.Dropped;
        facts["const.NETIF_RSP_ERROR"] = NetifStatus.Error;
        facts["const.NETIF_RSP_OKAY"] = NetifStatus.Okay;
        facts["const.NETIF_RSP_NULL"] = NetifStatus.Null;
        facts["const.BLKIF_MAX_SEGMENTS_PER_REQUEST"] = BlkifProtocol.MaxSegmentsPerRequest;
        facts["const.BLKIF_OP_WRITE"] = BlkifProtocol.OperationWrite;
        facts["const.BLKIF_RSP_ERROR"] = BlkifProtocol.StatusError;

        facts["sizeof.grant_entry_v1"] = GrantTableLayout.EntrySize;
        facts["offsetof.grant_entry_v1.flags"] = GrantTableLayout.FlagsOffset;
        facts["offsetof.grant_entry_v1.domid"] = GrantTableLayout.DomidOffset;
        facts["offsetof.grant_entry_v1.frame"] = GrantTableLayout.FrameOffset;
        facts["const.GTF_permit_access"] = (long)GrantEntryFlags.PermitAccess;
        facts["const.GTF_type_mask"] = (long)GrantEntryFlags.TypeMask;
        facts["const.GTF_readonly"] = (long)GrantEntryFlags.ReadOnly;
        facts["const.GTF_reading"] = (long)GrantEntryFlags.Reading;
        facts["const.GTF_writing"] = (long)GrantEntryFlags.Writing;
        facts["const.GNTST_okay"] = (long)GrantStatus.Okay;
        facts["const.GNTST_general_error"] = (long)GrantStatus.GeneralError;
        facts["const.GNTST_bad_domain"] = (long)GrantStatus.BadDomain;
        facts["const.GNTST_bad_gntref"] = (long)GrantStatus.BadGntref;
        facts["const.GNTST_bad_handle"] = (long)GrantStatus.BadHandle;
        facts["const.GNTST_permission_denied"] = (long)GrantStatus.PermissionDenied;
        facts["const.GNTST_bad_page"] = (long)GrantStatus.BadPage;
        facts["const.GNTST_bad_copy_arg"] = (long)GrantStatus.BadCopyArg;
        facts["const.GNTST_eagain"] = (long)GrantStatus.EAgain;
        facts["const.GNTST_no_space"] = (long)GrantStatus.NoSpace;
        return facts;
    }
}
