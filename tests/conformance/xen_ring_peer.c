/* xen_ring_peer: a front or back end written only with Xen's own io/ring.h and io/netif.h macros.
 *
 * It is PvRing's conformance peer (the tests run it against the C# samples in both roles) and the C
 * baseline of the ring benchmark (the harness runs a C front against a C back with the same batch
 * policy as the C# samples).
 *
 *   xen_ring_peer front PATH ORDER COUNT [--cpu N] [--timeout S]
 *       creates the ring file PATH (2^ORDER pages) under a temporary name with SHARED_RING_INIT +
 *       FRONT_RING_INIT, links it into place, pushes COUNT netif TX requests (id = sequence mod 2^16) and
 *       exits 0 only if every response came back once, in order, with NETIF_RSP_OKAY.
 *   xen_ring_peer back PATH COUNT [--cpu N] [--timeout S]
 *       waits for PATH, attaches with BACK_RING_INIT (order from the file size), copies each request out
 *       with RING_COPY_REQUEST, validates it, answers with the same id and NETIF_RSP_OKAY; exits 0 after COUNT.
 *   xen_ring_peer pingpong CPU_A CPU_B ITERATIONS
 *       bounces one cache line between two threads pinned to CPU_A and CPU_B; prints the round trip.
 *   xen_ring_peer variant-layout FEATURES ORDER KIND REQUEST_SIZE RESPONSE_SIZE
 *       prints the offsets of a PvRing ring variant (docs/ring-variants.md), computed here from the documented
 *       rules and not from the C# code: FEATURES is the RingFeatures bit mask (1 split indexes, 2 aligned slots,
 *       4 split rings), KIND 0 network or 1 block.
 *   xen_ring_peer variant-read PATH FEATURES ORDER
 *       maps a netif TX ring file of that variant in which every request published has been answered, and checks
 *       at the offsets computed here (strides from sizeof the Xen structs) that response slot i carries request
 *       slot i's id and NETIF_RSP_OKAY, for the last RING_SIZE requests.
 *
 * Batch policy (the C# Tx/Rx samples use the same): the front fills every free slot (up to what remains),
 * pushes once, then consumes every response published; the back consumes every request published (up to
 * the free response space), answers each, pushes once. An idle side spins 64 times with `pause`, then
 * yields. A side with no progress for --timeout seconds (default 30) gives up with exit code 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* x86-64 barriers, as Linux defines them: stores and loads are not reordered among themselves, so wmb and
 * rmb only stop the compiler; mb must order a store before a later load and needs a real fence. */
#define mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb() __asm__ __volatile__("" ::: "memory")
#define wmb() __asm__ __volatile__("" ::: "memory")

#include <xen/xen.h>
#include <xen/io/ring.h>
#include <xen/io/netif.h>

static double timeout_seconds = 30.0;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void pin(int cpu)
{
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        fprintf(stderr, "sched_setaffinity(%d): %s\n", cpu, strerror(errno));
        exit(3);
    }
}

/* Spin-then-yield, and the no-progress watchdog. */
struct idle {
    unsigned spins;
    double last_progress;
};

static void idle_progress(struct idle *idle)
{
    idle->spins = 0;
}

static void idle_wait(struct idle *idle, const char *what)
{
    if (++idle->spins < 64) {
        __builtin_ia32_pause();
        return;
    }
    sched_yield();
    if ((idle->spins & 0xfff) == 0) {
        double t = now();
        if (idle->last_progress == 0)
            idle->last_progress = t;
        else if (t - idle->last_progress > timeout_seconds) {
            fprintf(stderr, "%s: no progress for %.0f s; giving up\n", what, timeout_seconds);
            exit(2);
        }
    }
}

static void parse_options(int argc, char **argv, int first, int *cpu)
{
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc)
            *cpu = atoi(argv[++i]);
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout_seconds = atof(argv[++i]);
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            exit(64);
        }
    }
}

static int run_front(const char *path, unsigned order, unsigned long count)
{
    size_t bytes = (size_t)4096 << order;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)bytes) != 0) {
        perror(tmp);
        return 3;
    }
    netif_tx_sring_t *sring = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (sring == MAP_FAILED) {
        perror("mmap");
        return 3;
    }
    close(fd);

    netif_tx_front_ring_t ring;
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&ring, sring, bytes);
    /* link() fails if PATH exists, so a stale ring is never silently replaced. */
    if (link(tmp, path) != 0) {
        perror(path);
        unlink(tmp);
        return 3;
    }
    unlink(tmp);

    struct idle idle = {0};
    unsigned long sent = 0, received = 0;
    double start = now();
    while (received < count) {
        int progress = 0;
        unsigned long room = RING_FREE_REQUESTS(&ring);
        if (room > count - sent)
            room = count - sent;
        for (unsigned long i = 0; i < room; i++, sent++) {
            netif_tx_request_t *req = RING_GET_REQUEST(&ring, ring.req_prod_pvt);
            req->gref = (grant_ref_t)sent;
            req->offset = 0;
            req->flags = 0;
            req->id = (uint16_t)sent;
            req->size = (uint16_t)(64 + sent % 1400);
            ring.req_prod_pvt++;
        }
        if (room) {
            int notify;
            RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&ring, notify);
            (void)notify; /* no event channel: the back polls */
            progress = 1;
        }

        RING_IDX rp = ring.sring->rsp_prod;
        rmb(); /* see responses up to rp */
        if (RING_RESPONSE_PROD_OVERFLOW(&ring, rp) || rp - ring.rsp_cons > ring.req_prod_pvt - ring.rsp_cons) {
            fprintf(stderr, "front: impossible rsp_prod=%u rsp_cons=%u\n", rp, ring.rsp_cons);
            return 1;
        }
        while (ring.rsp_cons != rp) {
            netif_tx_response_t rsp;
            RING_COPY_RESPONSE(&ring, ring.rsp_cons, &rsp);
            if (rsp.id != (uint16_t)received || rsp.status != NETIF_RSP_OKAY) {
                fprintf(stderr, "front: response %lu has id=%u status=%d, expected id=%u status=0\n",
                        received, rsp.id, rsp.status, (unsigned)(uint16_t)received);
                return 1;
            }
            ring.rsp_cons++;
            received++;
            progress = 1;
        }
        if (progress)
            idle_progress(&idle);
        else
            idle_wait(&idle, "front");
    }
    double seconds = now() - start;
    munmap(sring, bytes);
    unlink(path);
    printf("front: %lu requests answered in order in %.3f s: %.0f requests/s\n", count, seconds, count / seconds);
    printf("result: requests=%lu seconds=%.6f requests_per_second=%.0f\n", count, seconds, count / seconds);
    return 0;
}

static int run_back(const char *path, unsigned long count)
{
    struct idle idle = {0};
    int fd;
    double deadline = now() + timeout_seconds;
    while ((fd = open(path, O_RDWR)) < 0) {
        if (errno != ENOENT || now() > deadline) {
            fprintf(stderr, "back: cannot open %s: %s\n", path, strerror(errno));
            return 2;
        }
        usleep(2000);
    }
    struct stat st;
    fstat(fd, &st);
    size_t bytes = (size_t)st.st_size;
    if (bytes < 4096 || (bytes & (bytes - 1)) != 0) {
        fprintf(stderr, "back: %s has size %zu, not 2^order pages\n", path, bytes);
        return 3;
    }
    netif_tx_sring_t *sring = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (sring == MAP_FAILED) {
        perror("mmap");
        return 3;
    }
    netif_tx_back_ring_t ring;
    BACK_RING_INIT(&ring, sring, bytes); /* never SHARED_RING_INIT: the front owns the header */

    unsigned long served = 0;
    while (served < count) {
        RING_IDX rp = ring.sring->req_prod;
        rmb(); /* see requests up to rp */
        if (RING_REQUEST_PROD_OVERFLOW(&ring, rp)) {
            fprintf(stderr, "back: impossible req_prod=%u rsp_prod_pvt=%u\n", rp, ring.rsp_prod_pvt);
            return 1;
        }
        RING_IDX before = ring.req_cons;
        while (ring.req_cons != rp && !RING_REQUEST_CONS_OVERFLOW(&ring, ring.req_cons)) {
            netif_tx_request_t req;
            RING_COPY_REQUEST(&ring, ring.req_cons, &req);
            ring.req_cons++;
            netif_tx_response_t *rsp = RING_GET_RESPONSE(&ring, ring.rsp_prod_pvt);
            memset(rsp, 0, sizeof *rsp);
            rsp->id = req.id;
            rsp->status = (req.offset + req.size > 4096 || (req.flags & (NETTXF_more_data | NETTXF_extra_info)))
                ? NETIF_RSP_ERROR : NETIF_RSP_OKAY;
            ring.rsp_prod_pvt++;
            served++;
        }
        if (ring.req_cons != before) {
            int notify;
            RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&ring, notify);
            (void)notify; /* no event channel: the front polls */
            idle_progress(&idle);
        } else {
            idle_wait(&idle, "back");
        }
    }
    munmap(sring, bytes);
    printf("back: served %lu requests\n", served);
    return 0;
}

/* Cache-line ping-pong: the physical floor of any shared-memory round trip between two CPUs. */
static _Alignas(128) volatile uint64_t ball;
static unsigned long pingpong_iterations;
static int pong_cpu;

static void *pong(void *arg)
{
    (void)arg;
    pin(pong_cpu);
    for (uint64_t i = 1; i <= pingpong_iterations; i++) {
        while (ball != 2 * i - 1)
            __builtin_ia32_pause();
        ball = 2 * i;
    }
    return NULL;
}

static int run_pingpong(int cpu_a, int cpu_b, unsigned long iterations)
{
    pthread_t thread;
    pingpong_iterations = iterations;
    pong_cpu = cpu_b;
    ball = 0;
    pin(cpu_a);
    pthread_create(&thread, NULL, pong, NULL);
    double start = now();
    for (uint64_t i = 1; i <= iterations; i++) {
        ball = 2 * i - 1;
        while (ball != 2 * i)
            __builtin_ia32_pause();
    }
    double seconds = now() - start;
    pthread_join(thread, NULL);
    printf("result: roundtrips=%lu seconds=%.6f roundtrip_ns=%.1f\n", iterations, seconds, seconds * 1e9 / iterations);
    return 0;
}

/* PvRing ring variants, from the rules in docs/ring-variants.md (written independently of the C# layout code). */
struct variant_layout {
    unsigned long count, req_prod, req_event, rsp_prod, rsp_event, req_slots, rsp_slots, req_stride, rsp_stride;
};

static unsigned long align_up(unsigned long v, unsigned long a) { return (v + a - 1) / a * a; }

static unsigned long aligned_stride(unsigned long entry, int block)
{
    unsigned long s = align_up(entry, block ? 64 : 16);
    if (s >= 64)
        return align_up(s, 64);
    unsigned long p = 1;
    while (p < s)
        p <<= 1;
    return p;
}

static unsigned long rd32(unsigned long n)
{
    unsigned long p = 1;
    while (p * 2 <= n)
        p *= 2;
    return p;
}

static int variant_layout(unsigned features, unsigned order, int block, unsigned long req, unsigned long rsp, struct variant_layout *l)
{
    int split_indexes = features & 1, aligned = features & 2, split_rings = features & 4;
    unsigned long length = 4096ul << order;
    unsigned long entry = req > rsp ? req : rsp;
    memset(l, 0, sizeof *l);
    if (!split_rings) {
        /* One union array behind the classic 64-byte header, or behind two 128-byte index blocks. */
        unsigned long header = split_indexes ? 256 : 64;
        l->req_stride = l->rsp_stride = aligned ? aligned_stride(entry, block) : entry;
        l->count = rd32((length - header) / l->req_stride);
        l->req_prod = 0;
        l->req_event = 4;
        l->rsp_prod = split_indexes ? 128 : 8;
        l->rsp_event = split_indexes ? 132 : 12;
        l->req_slots = l->rsp_slots = header;
        return l->count > 0;
    }
    /* Split rings: request half, then at the next multiple of 128 the response half; each array its own stride. */
    unsigned long req_header = split_indexes ? 128 : 64, rsp_header = split_indexes ? 128 : 0;
    l->req_stride = aligned ? aligned_stride(req, block) : req;
    l->rsp_stride = aligned ? aligned_stride(rsp, block) : rsp;
    unsigned long n = rd32((length - req_header - rsp_header) / (l->req_stride + l->rsp_stride));
    while (n > 1 && align_up(req_header + n * l->req_stride, 128) + rsp_header + n * l->rsp_stride > length)
        n >>= 1;
    unsigned long half = align_up(req_header + n * l->req_stride, 128);
    if (half + rsp_header + n * l->rsp_stride > length)
        return 0;
    l->count = n;
    l->req_prod = 0;
    l->req_event = 4;
    l->rsp_prod = split_indexes ? half : 8;
    l->rsp_event = split_indexes ? half + 4 : 12;
    l->req_slots = req_header;
    l->rsp_slots = half + rsp_header;
    return 1;
}

static int run_variant_layout(unsigned features, unsigned order, int block, unsigned long req, unsigned long rsp)
{
    struct variant_layout l;
    if (!variant_layout(features, order, block, req, rsp, &l)) {
        fprintf(stderr, "no slot pair fits\n");
        return 1;
    }
    printf("result: count=%lu req_prod=%lu req_event=%lu rsp_prod=%lu rsp_event=%lu req_slots=%lu rsp_slots=%lu req_stride=%lu rsp_stride=%lu\n",
           l.count, l.req_prod, l.req_event, l.rsp_prod, l.rsp_event, l.req_slots, l.rsp_slots, l.req_stride, l.rsp_stride);
    return 0;
}

static int run_variant_read(const char *path, unsigned features, unsigned order)
{
    struct variant_layout l;
    if (!variant_layout(features, order, 0, sizeof(netif_tx_request_t), sizeof(netif_tx_response_t), &l)) {
        fprintf(stderr, "no slot pair fits\n");
        return 1;
    }
    size_t bytes = (size_t)4096 << order;
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || (size_t)st.st_size != bytes) {
        fprintf(stderr, "%s: cannot open, or not %zu bytes\n", path, bytes);
        return 3;
    }
    const unsigned char *area = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (area == MAP_FAILED) {
        perror("mmap");
        return 3;
    }
    RING_IDX req_prod = *(const volatile RING_IDX *)(area + l.req_prod);
    RING_IDX rsp_prod = *(const volatile RING_IDX *)(area + l.rsp_prod);
    if (req_prod != rsp_prod || req_prod == 0) {
        fprintf(stderr, "req_prod=%u rsp_prod=%u: not every request answered\n", req_prod, rsp_prod);
        return 1;
    }
    unsigned long checked = 0;
    for (RING_IDX i = req_prod - (req_prod < l.count ? req_prod : l.count); i != req_prod; i++, checked++) {
        netif_tx_request_t rq;
        netif_tx_response_t rs;
        memcpy(&rq, area + l.req_slots + (i & (l.count - 1)) * l.req_stride, sizeof rq);
        memcpy(&rs, area + l.rsp_slots + (i & (l.count - 1)) * l.rsp_stride, sizeof rs);
        /* With one union array the response overwrote its request: only the response can be checked. */
        int shared = l.req_slots == l.rsp_slots;
        if (rs.status != NETIF_RSP_OKAY || rs.id != (uint16_t)i || (!shared && rq.id != (uint16_t)i)) {
            fprintf(stderr, "slot of index %u: request id=%u, response id=%u status=%d; expected id=%u OKAY\n",
                    i, rq.id, rs.id, rs.status, (unsigned)(uint16_t)i);
            return 1;
        }
    }
    printf("result: count=%lu checked=%lu req_prod=%u\n", l.count, checked, req_prod);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 7 && strcmp(argv[1], "variant-layout") == 0)
        return run_variant_layout((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]), atoi(argv[4]), strtoul(argv[5], NULL, 10), strtoul(argv[6], NULL, 10));
    if (argc == 5 && strcmp(argv[1], "variant-read") == 0)
        return run_variant_read(argv[2], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
    int cpu = -1;
    if (argc >= 5 && strcmp(argv[1], "front") == 0) {
        parse_options(argc, argv, 5, &cpu);
        pin(cpu);
        return run_front(argv[2], (unsigned)atoi(argv[3]), strtoul(argv[4], NULL, 10));
    }
    if (argc >= 4 && strcmp(argv[1], "back") == 0) {
        parse_options(argc, argv, 4, &cpu);
        pin(cpu);
        return run_back(argv[2], strtoul(argv[3], NULL, 10));
    }
    if (argc == 5 && strcmp(argv[1], "pingpong") == 0)
        return run_pingpong(atoi(argv[2]), atoi(argv[3]), strtoul(argv[4], NULL, 10));
    /* --help: the usage on stdout and success; anything else unknown: on stderr, sysexits' EX_USAGE. */
    int help = argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    fprintf(help ? stdout : stderr, "usage: %s front PATH ORDER COUNT [--cpu N] [--timeout S]\n"
                    "       %s back PATH COUNT [--cpu N] [--timeout S]\n"
                    "       %s pingpong CPU_A CPU_B ITERATIONS\n", argv[0], argv[0], argv[0]);
    return help ? 0 : 64;
}
