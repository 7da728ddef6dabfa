/* baselines: the C references of the harness's `matrix` command that xen_ring_peer.c does not already provide.
 *
 * Each case runs two threads of one process pinned to CPU_A and CPU_B (the same cache-line traffic as two
 * processes sharing a mapping, without a file) and prints one `result: key=value ...` line.
 *
 *   baselines xenring-pingpong CPU_A CPU_B ITERATIONS
 *       one request outstanding through a netif TX ring built only with Xen's io/ring.h macros (front on CPU_A,
 *       back on CPU_B, both busy-polling): the round trip of the classic ring, the C reference of a PvRing round trip.
 *   baselines bytering CPU_A CPU_B SIZE COUNT
 *       a single-producer single-consumer byte ring of 4 MiB: records of a 4-byte length and SIZE payload bytes
 *       (rounded up to 8), head and tail on separate 128-byte lines, each side caching the other's index and reading
 *       the shared one only when the cached copy says full or empty; the producer copies each message in, the
 *       consumer copies it out into its own buffer and checks the sequence number in its first 8 bytes. The practical
 *       ceiling of a shared-memory message queue for this size.
 *   baselines memcpy CPU SIZE TOTAL_BYTES
 *       memcpy of SIZE bytes between two cache-resident buffers on one CPU until TOTAL_BYTES are copied: the ceiling
 *       for bulk data (a message through shared memory costs at least one such copy).
 *
 * The cache-line ping-pong (the floor of a round trip) and the streaming classic ring are xen_ring_peer's
 * `pingpong`, `front` and `back`. An idle side waits as the peer's do (64 `pause`s, then yields, so that a same-CPU
 * placement still makes progress; no progress for 30 s: exit 2).
 */
/* One translation unit with the C peer: its Xen includes and barriers, now(), pin() and the spin-then-yield idle
 * with its no-progress watchdog (idle_wait/idle_progress) are used here as they are; its main() is renamed away. */
#define main xen_ring_peer_main
#include "../../../tests/conformance/xen_ring_peer.c"
#undef main

/* ---- xenring-pingpong ---- */

static _Alignas(4096) unsigned char xen_page[4096];
static unsigned long xen_iterations;
static int xen_back_cpu;

static void *xen_back(void *arg)
{
    (void)arg;
    pin(xen_back_cpu);
    netif_tx_back_ring_t ring;
    BACK_RING_INIT(&ring, (netif_tx_sring_t *)xen_page, sizeof xen_page);
    struct idle idle = {0};
    for (unsigned long served = 0; served < xen_iterations;) {
        RING_IDX rp = ring.sring->req_prod;
        rmb(); /* see requests up to rp */
        if (ring.req_cons == rp) {
            idle_wait(&idle, "xenring back");
            continue;
        }
        while (ring.req_cons != rp) {
            netif_tx_request_t req;
            RING_COPY_REQUEST(&ring, ring.req_cons, &req);
            ring.req_cons++;
            netif_tx_response_t *rsp = RING_GET_RESPONSE(&ring, ring.rsp_prod_pvt);
            rsp->id = req.id;
            rsp->status = NETIF_RSP_OKAY;
            ring.rsp_prod_pvt++;
            served++;
        }
        int notify;
        RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&ring, notify);
        (void)notify; /* no event channel: the front polls */
        idle_progress(&idle);
    }
    return NULL;
}

static int run_xenring_pingpong(int cpu_a, int cpu_b, unsigned long iterations)
{
    netif_tx_sring_t *sring = (netif_tx_sring_t *)xen_page;
    netif_tx_front_ring_t ring;
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&ring, sring, sizeof xen_page);
    xen_iterations = iterations;
    xen_back_cpu = cpu_b;
    pin(cpu_a);
    pthread_t thread;
    pthread_create(&thread, NULL, xen_back, NULL);
    struct idle idle = {0};
    double start = now();
    for (unsigned long i = 0; i < iterations; i++) {
        netif_tx_request_t *req = RING_GET_REQUEST(&ring, ring.req_prod_pvt);
        req->gref = (grant_ref_t)i;
        req->offset = 0;
        req->flags = 0;
        req->id = (uint16_t)i;
        req->size = 64;
        ring.req_prod_pvt++;
        int notify;
        RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&ring, notify);
        (void)notify;
        for (;;) {
            RING_IDX rp = ring.sring->rsp_prod;
            rmb(); /* see responses up to rp */
            if (ring.rsp_cons != rp)
                break;
            idle_wait(&idle, "xenring front");
        }
        idle_progress(&idle);
        netif_tx_response_t rsp;
        RING_COPY_RESPONSE(&ring, ring.rsp_cons, &rsp);
        ring.rsp_cons++;
        if (rsp.id != (uint16_t)i || rsp.status != NETIF_RSP_OKAY) {
            fprintf(stderr, "xenring front: response %lu has id=%u status=%d\n", i, rsp.id, rsp.status);
            return 1;
        }
    }
    double seconds = now() - start;
    pthread_join(thread, NULL);
    printf("result: roundtrips=%lu seconds=%.6f roundtrip_ns=%.1f\n", iterations, seconds, seconds * 1e9 / iterations);
    return 0;
}

/* ---- bytering ---- */

#define BYTERING_BYTES (4u << 20)
#define WRAP_MARK 0xFFFFFFFFu

struct bytering {
    _Alignas(128) volatile uint64_t head; /* written by the producer only */
    _Alignas(128) volatile uint64_t tail; /* written by the consumer only */
    _Alignas(128) unsigned char data[BYTERING_BYTES];
};

static struct bytering *bring;
static unsigned long bring_count;
static size_t bring_size;
static int bring_consumer_cpu;
static volatile int bring_failed;

static inline size_t record_bytes(size_t size) { return (4 + size + 7) & ~(size_t)7; }

static void *bytering_consumer(void *arg)
{
    (void)arg;
    pin(bring_consumer_cpu);
    unsigned char *out = aligned_alloc(64, (bring_size + 63) & ~(size_t)63);
    uint64_t tail = 0, cached_head = 0;
    struct idle idle = {0};
    for (unsigned long received = 0; received < bring_count;) {
        if (tail == cached_head) {
            cached_head = __atomic_load_n(&bring->head, __ATOMIC_ACQUIRE); /* see the records up to head */
            if (tail == cached_head) {
                idle_wait(&idle, "bytering consumer");
                continue;
            }
            idle_progress(&idle);
        }
        size_t at = (size_t)(tail & (BYTERING_BYTES - 1));
        uint32_t length;
        memcpy(&length, bring->data + at, 4);
        if (length == WRAP_MARK) {
            tail += BYTERING_BYTES - at;
            continue;
        }
        memcpy(out, bring->data + at + 4, length);
        uint64_t sequence;
        memcpy(&sequence, out, 8);
        if (length != bring_size || sequence != received) {
            fprintf(stderr, "bytering: message %lu has length %u sequence %lu\n", received, length, (unsigned long)sequence);
            bring_failed = 1;
            exit(1);
        }
        received++;
        tail += record_bytes(length);
        __atomic_store_n(&bring->tail, tail, __ATOMIC_RELEASE); /* the producer may reuse the bytes read */
    }
    free(out);
    return NULL;
}

static int run_bytering(int cpu_a, int cpu_b, size_t size, unsigned long count)
{
    if (size < 8 || record_bytes(size) > BYTERING_BYTES / 2) {
        fprintf(stderr, "bytering: SIZE must be in 8..%u\n", BYTERING_BYTES / 2 - 16);
        return 64;
    }
    bring = aligned_alloc(4096, sizeof *bring);
    memset(bring, 0, sizeof *bring);
    bring_count = count;
    bring_size = size;
    bring_consumer_cpu = cpu_b;
    unsigned char *in = aligned_alloc(64, (size + 63) & ~(size_t)63);
    memset(in, 0x5a, size);
    pin(cpu_a);
    pthread_t thread;
    pthread_create(&thread, NULL, bytering_consumer, NULL);
    uint64_t head = 0, cached_tail = 0;
    size_t need = record_bytes(size);
    struct idle idle = {0};
    double start = now();
    for (unsigned long sent = 0; sent < count;) {
        size_t at = (size_t)(head & (BYTERING_BYTES - 1));
        size_t wrap = BYTERING_BYTES - at < need ? BYTERING_BYTES - at : 0; /* pad to the end first */
        if (head + wrap + need - cached_tail > BYTERING_BYTES) {
            cached_tail = __atomic_load_n(&bring->tail, __ATOMIC_ACQUIRE); /* the consumer is done with the bytes before tail */
            if (head + wrap + need - cached_tail > BYTERING_BYTES) {
                idle_wait(&idle, "bytering producer");
                continue;
            }
            idle_progress(&idle);
        }
        if (wrap) {
            uint32_t mark = WRAP_MARK;
            memcpy(bring->data + at, &mark, 4);
            head += wrap;
            at = 0;
        }
        uint32_t length = (uint32_t)size;
        uint64_t sequence = sent;
        memcpy(in, &sequence, 8);
        memcpy(bring->data + at, &length, 4);
        memcpy(bring->data + at + 4, in, size);
        head += need;
        __atomic_store_n(&bring->head, head, __ATOMIC_RELEASE); /* the record before the new head */
        sent++;
    }
    pthread_join(thread, NULL);
    double seconds = now() - start;
    printf("result: messages=%lu seconds=%.6f messages_per_second=%.0f gigabytes_per_second=%.4f\n",
           count, seconds, count / seconds, count * (double)size / seconds / 1e9);
    return bring_failed;
}

/* ---- memcpy ---- */

static int run_memcpy(int cpu, size_t size, unsigned long long total)
{
    pin(cpu);
    unsigned char *src = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
    unsigned char *dst = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
    memset(src, 0x5a, size);
    memset(dst, 0, size);
    unsigned long long copies = total / size;
    double start = now();
    for (unsigned long long i = 0; i < copies; i++) {
        memcpy(dst, src, size);
        __asm__ __volatile__("" : : "r"(dst), "r"(src) : "memory"); /* every copy happens */
    }
    double seconds = now() - start;
    printf("result: copies=%llu seconds=%.6f gigabytes_per_second=%.4f\n", copies, seconds, copies * (double)size / seconds / 1e9);
    return dst[size - 1] == 0x5a ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "xenring-pingpong") == 0)
        return run_xenring_pingpong(atoi(argv[2]), atoi(argv[3]), strtoul(argv[4], NULL, 10));
    if (argc == 6 && strcmp(argv[1], "bytering") == 0)
        return run_bytering(atoi(argv[2]), atoi(argv[3]), strtoul(argv[4], NULL, 10), strtoul(argv[5], NULL, 10));
    if (argc == 5 && strcmp(argv[1], "memcpy") == 0)
        return run_memcpy(atoi(argv[2]), strtoul(argv[3], NULL, 10), strtoull(argv[4], NULL, 10));
    /* --help: the usage on stdout and success; anything else unknown: on stderr, sysexits' EX_USAGE. */
    int help = argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    fprintf(help ? stdout : stderr, "usage: %s xenring-pingpong CPU_A CPU_B ITERATIONS\n"
                    "       %s bytering CPU_A CPU_B SIZE COUNT\n"
                    "       %s memcpy CPU SIZE TOTAL_BYTES\n", argv[0], argv[0], argv[0]);
    return help ? 0 : 64;
}
