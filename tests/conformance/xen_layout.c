/* Prints the layout facts PvRing must match, computed by the C compiler from Xen's own headers
 * (Debian libxen-dev: /usr/include/xen/io/ring.h, netif.h, blkif.h, grant_table.h). One "name value" pair per line;
 * the LayoutTests compare every line with the C# side. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xen/xen.h>
#include <xen/io/ring.h>
#include <xen/io/netif.h>
#include <xen/io/blkif.h>
#include <xen/grant_table.h>

#define SIZE(t) printf("sizeof.%s %zu\n", #t, sizeof(struct t))
#define OFF(t, f) printf("offsetof.%s.%s %zu\n", #t, #f, offsetof(struct t, f))
#define ENTRY(n) printf("entry.%s %zu\n", #n, sizeof(union n##_sring_entry))
#define RINGS(n)                                                                        \
    for (unsigned order = 0; order <= 4; order++)                                       \
        printf("ring_size.%s.%u %lu\n", #n, order,                                      \
               (unsigned long)__CONST_RING_SIZE(n, (size_t)4096 << order))

int main(int argc, char **argv)
{
    if (argc > 1) {
        /* No options: --help says so (exit 0), anything else is a usage error (sysexits' EX_USAGE). */
        int help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        fprintf(help ? stdout : stderr,
                "usage: %s\n  prints sizeof/offsetof of Xen's ring, netif, blkif and grant-table structs and their constants,\n"
                "  one \"name value\" pair per line, for PvRing's layout tests to compare with the C# side\n", argv[0]);
        return help ? 0 : 64;
    }

    SIZE(netif_tx_request);
    OFF(netif_tx_request, gref);
    OFF(netif_tx_request, offset);
    OFF(netif_tx_request, flags);
    OFF(netif_tx_request, id);
    OFF(netif_tx_request, size);
    SIZE(netif_tx_response);
    OFF(netif_tx_response, id);
    OFF(netif_tx_response, status);
    SIZE(netif_rx_request);
    OFF(netif_rx_request, id);
    OFF(netif_rx_request, pad);
    OFF(netif_rx_request, gref);
    SIZE(netif_rx_response);
    OFF(netif_rx_response, id);
    OFF(netif_rx_response, offset);
    OFF(netif_rx_response, flags);
    OFF(netif_rx_response, status);
    SIZE(netif_extra_info);
    OFF(netif_extra_info, type);
    OFF(netif_extra_info, flags);
    OFF(netif_extra_info, u.gso.size);
    OFF(netif_extra_info, u.gso.type);
    OFF(netif_extra_info, u.gso.pad);
    OFF(netif_extra_info, u.gso.features);
    OFF(netif_extra_info, u.mcast.addr);
    OFF(netif_extra_info, u.hash.type);
    OFF(netif_extra_info, u.hash.algorithm);
    OFF(netif_extra_info, u.hash.value);
    SIZE(blkif_request_segment);
    OFF(blkif_request_segment, gref);
    OFF(blkif_request_segment, first_sect);
    OFF(blkif_request_segment, last_sect);
    SIZE(blkif_request);
    OFF(blkif_request, operation);
    OFF(blkif_request, nr_segments);
    OFF(blkif_request, handle);
    OFF(blkif_request, id);
    OFF(blkif_request, sector_number);
    OFF(blkif_request, seg);
    SIZE(blkif_response);
    OFF(blkif_response, id);
    OFF(blkif_response, operation);
    OFF(blkif_response, status);

    OFF(netif_tx_sring, req_prod);
    OFF(netif_tx_sring, req_event);
    OFF(netif_tx_sring, rsp_prod);
    OFF(netif_tx_sring, rsp_event);
    OFF(netif_tx_sring, pvt);
    OFF(netif_tx_sring, __pad);
    OFF(netif_tx_sring, ring);
    ENTRY(netif_tx);
    ENTRY(netif_rx);
    ENTRY(blkif);
    RINGS(netif_tx);
    RINGS(netif_rx);
    RINGS(blkif);

    printf("const.NETTXF_csum_blank %d\nconst.NETTXF_data_validated %d\nconst.NETTXF_more_data %d\nconst.NETTXF_extra_info %d\n",
           NETTXF_csum_blank, NETTXF_data_validated, NETTXF_more_data, NETTXF_extra_info);
    printf("const.NETIF_RSP_DROPPED %d\nconst.NETIF_RSP_ERROR %d\nconst.NETIF_RSP_OKAY %d\nconst.NETIF_RSP_NULL %d\n",
           NETIF_RSP_DROPPED, NETIF_RSP_ERROR, NETIF_RSP_OKAY, NETIF_RSP_NULL);
    printf("const.BLKIF_MAX_SEGMENTS_PER_REQUEST %d\nconst.BLKIF_OP_WRITE %d\nconst.BLKIF_RSP_ERROR %d\n",
           BLKIF_MAX_SEGMENTS_PER_REQUEST, BLKIF_OP_WRITE, BLKIF_RSP_ERROR);

    SIZE(grant_entry_v1);
    OFF(grant_entry_v1, flags);
    OFF(grant_entry_v1, domid);
    OFF(grant_entry_v1, frame);
    printf("const.GTF_permit_access %u\nconst.GTF_type_mask %u\nconst.GTF_readonly %u\nconst.GTF_reading %u\nconst.GTF_writing %u\n",
           GTF_permit_access, GTF_type_mask, GTF_readonly, GTF_reading, GTF_writing);
    printf("const.GNTST_okay %d\nconst.GNTST_general_error %d\nconst.GNTST_bad_domain %d\nconst.GNTST_bad_gntref %d\n"
           "const.GNTST_bad_handle %d\nconst.GNTST_permission_denied %d\nconst.GNTST_bad_page %d\nconst.GNTST_bad_copy_arg %d\n"
           "const.GNTST_eagain %d\nconst.GNTST_no_space %d\n",
           GNTST_okay, GNTST_general_error, GNTST_bad_domain, GNTST_bad_gntref, GNTST_bad_handle, GNTST_permission_denied,
           GNTST_bad_page, GNTST_bad_copy_arg, GNTST_eagain, GNTST_no_space);
    return 0;
}
