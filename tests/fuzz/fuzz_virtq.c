/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the virtqueue engine (lib/virtq), built twice:
 * fuzz_virtq_split (FUZZ_PACKED 0) and fuzz_virtq_packed (FUZZ_PACKED 1).
 *
 * The input sets up a small ring (split: 1..16 entries, a power of two;
 * packed: 1..16, any size) whose descriptors, avail ring or event
 * suppression areas, and indirect tables live in memory together with the
 * buffers, then runs a short program of dequeue/enqueue bursts, descriptor
 * and ring rewrites, chains posted by the driver (packed: one that keeps its
 * wrap counter, sometimes wrongly), notification field changes and
 * re-setups. The engine must never crash or touch memory outside the guest
 * regions (ASan), and must keep its invariants: a burst returns at most n,
 * used and avail positions (packed: with wrap counters) move together, a
 * broken queue stays silent until it is set up again, dirty-log ranges are
 * guest physical addresses inside guest memory (packed: or offsets inside
 * the descriptor ring), and no mbuf is lost. A split ring lives in guest
 * memory, where a guest may point buffers at it; a packed ring lives outside,
 * poisoned around, so that any stray ring access shows.
 *
 * Each input also sets up a peer queue of the opposite direction, split or
 * packed (mixed transfers), with its ring outside guest memory (poisoned
 * around it) and its contents, features and position from the input too,
 * and runs the one-copy transfer (vhacc_virtq_xfer_burst) between the two:
 * the fuzzed queue as source if it is a TX queue, else as destination,
 * whenever vhacc_virtq_xfer_possible() allows. The peer's guest posts,
 * rewrites and recycles chains and the peer is set up again, all from the
 * input. After each transfer: its counts, both positions, the broken state
 * and the counters of both queues must agree (see peer_xfer() in
 * fuzz_peer.h, the peer and its checks).
 *
 * Built with VHACC_FUZZ_STANDALONE it has its own main(): a smoke run over
 * pseudo-random inputs (argv[1] iterations, default 20000), or over the
 * files named on the command line.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <linux/vhost_types.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_vhost.h>

#include "vhacc_virtq.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define FUZZ_ASAN 1
#endif
#endif
#ifndef FUZZ_ASAN
#define ASAN_POISON_MEMORY_REGION(p, l)   ((void)(p), (void)(l))
#define ASAN_UNPOISON_MEMORY_REGION(p, l) ((void)(p), (void)(l))
#endif

#ifndef FUZZ_PACKED
#error "build with -DFUZZ_PACKED=0 (split ring) or -DFUZZ_PACKED=1 (packed ring)"
#endif
#if FUZZ_PACKED
#define FUZZ_NAME "fuzz_virtq_packed"
#else
#define FUZZ_NAME "fuzz_virtq_split"
#endif

#define FEAT(b) (1ULL << (b))

/* region 0 holds the rings, tables and buffers; region 1 is adjacent; region 2 distant */
#define R0_GPA  0x10000ULL
#define R0_SIZE 0x10000ULL
#define R1_GPA  (R0_GPA + R0_SIZE)
#define R1_SIZE 0x1000ULL
#define R2_GPA  0x7ffff000ULL
#define R2_SIZE 0x1000ULL
#if !FUZZ_PACKED /* the split ring's parts, in region 0 */
#define DESC_OFF  0x0
#define AVAIL_OFF 0x400
#define USED_OFF  0x800
#endif
#define FILL_OFF  0x1000
#define MAX_SIZE  16
#define NB_MBUF   512
#define MAX_BURST 32

#define FUZZ_VID 3 /* the fuzzed queue's rte_vhost device id */
#define PEER_VID 4 /* the peer's (fuzz_peer.h) */

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, FUZZ_NAME ": check failed: %s (line %d)\n", #c, __LINE__); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rte_mempool *pool;
static uint8_t *region[3];
#if FUZZ_PACKED
/*
 * The ring and event areas live outside guest memory here (RING_MEM bytes laid
 * out as the peer's, fuzz_peer.h), so that a guest buffer can never
 * legitimately cover them (a real guest may point a buffer at its own ring):
 * any access to the poisoned bytes around them is a stray ring access by the
 * engine.
 */
static uint8_t *ringmem;
#endif
static struct vhacc_guest_mem mem;

/* What the dirty-log hooks check used-ring offsets against: [0] vid 3, [1] vid 4 */
struct log_ring {
	uint16_t size;
	bool packed;
	uint16_t vring_idx;
};
static struct log_ring log_ring[2];

/* ------------------------------------------------------------------------ */
/* Dirty-log hooks (take precedence over librte_vhost's): check the ranges. */

static bool
gpa_range_ok(uint64_t gpa, uint64_t len)
{
	uint32_t i;

	if (len == 0 || gpa + len < gpa)
		return false;
	/* may span adjacent regions 0 and 1 */
	if (gpa >= R0_GPA && gpa + len <= R1_GPA + R1_SIZE)
		return true;
	for (i = 0; i < mem.nregions; i++)
		if (gpa >= mem.regions[i].gpa &&
			gpa + len <= mem.regions[i].gpa + mem.regions[i].size)
			return true;
	return false;
}

void
rte_vhost_log_write(int vid, uint64_t addr, uint64_t len)
{
	CHECK(vid == FUZZ_VID || vid == PEER_VID);
	CHECK(gpa_range_ok(addr, len));
}

void
rte_vhost_log_used_vring(int vid, uint16_t vring_idx, uint64_t offset, uint64_t len)
{
	const struct log_ring *lr;

	CHECK(vid == FUZZ_VID || vid == PEER_VID);
	lr = &log_ring[vid - FUZZ_VID];
	CHECK(vring_idx == lr->vring_idx);
	if (lr->packed) /* the fallback for a descriptor ring outside guest memory */
		CHECK(len == 16 && offset % 16 == 0 && offset + len <= 16u * lr->size);
	else
		CHECK(len > 0 && offset + len <= 4 + 8u * lr->size + 2);
}

/* ------------------------------------------------------------------------ */

struct reader {
	const uint8_t *p;
	size_t left;
};

static uint8_t
get8(struct reader *r)
{
	if (r->left == 0)
		return 0;
	r->left--;
	return *r->p++;
}

static uint16_t
get16(struct reader *r)
{
	uint16_t v = get8(r);

	return (uint16_t)(v | get8(r) << 8);
}

/* A guest address: mostly inside or near guest memory, sometimes hostile. */
static uint64_t
pick_addr(struct reader *r)
{
	static const uint64_t special[] = {
		0,
		1,
		R0_GPA - 1,
		R1_GPA + R1_SIZE - 8,
		R1_GPA - 8,
		R2_GPA - 4,
		R2_GPA + R2_SIZE - 8,
		R2_GPA + R2_SIZE,
		UINT64_MAX - 15,
		UINT64_MAX,
		0x8000000000000000ULL,
	};
	uint16_t v = get16(r);

	if (v & 0x8000)
		return special[(v & 0x7fff) % RTE_DIM(special)];
#if FUZZ_PACKED
	/* regions 0 and 1 (adjacent), a little past their end */
	return R0_GPA + (v % (R0_SIZE + R1_SIZE + 0x100));
#else
	/* buffers and tables mostly start above the rings */
	return R0_GPA + FILL_OFF + (v % (R0_SIZE - FILL_OFF + R1_SIZE + 0x100));
#endif
}

static uint32_t
pick_len(struct reader *r)
{
	uint8_t sel = get8(r);
	uint16_t v = get16(r);

	switch (sel & 3) {
	case 0:
		return v & 0x3f;
	case 1:
		return v & 0x7ff;
	case 2:
		return v;
	default:
		return sel & 4 ? 0xffffffffu : (uint32_t)v << 4;
	}
}

#include "fuzz_peer.h"

struct fuzz_ctx {
	struct vhacc_virtq *q;
	struct vhacc_virtq_conf conf;
#if FUZZ_PACKED
	struct pdrv pd; /* the driver's descriptors, next descriptor and wrap counter */
	struct vring_packed_desc_event *drv;
	struct vring_packed_desc_event *dev;
#else
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
#endif
	uint16_t size;
	uint64_t broken_expected; /* stats.broken if the queue is broken now */
	bool was_broken;
	struct peer peer;
};

static void
check_after_burst(
	struct fuzz_ctx *c, const struct vhacc_virtq_state *before, uint16_t got, uint16_t n)
{
	struct vhacc_virtq_state st;
	struct vhacc_virtq_held h[MAX_SIZE];

	CHECK(got <= n);
	vhacc_virtq_get_state(c->q, &st);
	/* every chain taken is given back in the same burst */
#if FUZZ_PACKED
	CHECK(st.last_avail_idx == st.last_used_idx && st.avail_wrap == st.used_wrap);
	CHECK(st.last_avail_idx < c->size && st.last_used_idx < c->size);
#else
	CHECK(st.last_avail_idx - st.last_used_idx == 0);
	CHECK((uint16_t)(st.last_used_idx - before->last_used_idx) <= c->size);
#endif
	CHECK(vhacc_virtq_held(c->q, h, MAX_SIZE) == 0);
	if (c->was_broken) {
		/* a broken queue does nothing */
		CHECK(got == 0);
		CHECK(st.last_avail_idx == before->last_avail_idx);
		CHECK(st.last_used_idx == before->last_used_idx);
#if FUZZ_PACKED
		CHECK(st.avail_wrap == before->avail_wrap && st.used_wrap == before->used_wrap);
#endif
	}
	check_broken(c->q, &c->was_broken, &c->broken_expected);
}

static void
op_dequeue(struct fuzz_ctx *c, struct reader *r)
{
	struct rte_mbuf *m[MAX_BURST];
	struct vhacc_virtq_state before;
	uint16_t n = get8(r) % (MAX_BURST + 1), got, i;

	if (c->conf.is_rx)
		return;
	vhacc_virtq_get_state(c->q, &before);
	got = vhacc_virtq_dequeue_burst(c->q, pool, m, n);
	check_after_burst(c, &before, got, n);
	for (i = 0; i < got; i++) {
		const char *why;

		CHECK(rte_mbuf_check(m[i], 1, &why) == 0);
		CHECK(m[i]->pkt_len > 0 && m[i]->pkt_len <= 65536);
		rte_pktmbuf_free(m[i]);
	}
}

static struct rte_mbuf *
make_pkt(uint32_t len, uint8_t seed)
{
	struct rte_mbuf *head = NULL;
	uint32_t off = 0;

	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint32_t l = RTE_MIN(len - off, 1500u);

		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		if (l > 0)
			memset(rte_pktmbuf_append(m, (uint16_t)l), seed, l);
		off += l;
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(head);
			return NULL;
		}
	} while (off < len);
	return head;
}

static void
op_enqueue(struct fuzz_ctx *c, struct reader *r)
{
	static const uint32_t lens[] = {0, 1, 14, 60, 500, 1010, 1500, 1514, 2048, 4000, 9000};
	struct rte_mbuf *m[8];
	struct vhacc_virtq_state before;
	uint16_t n = get8(r) % 9, got, i, k = 0;

	if (!c->conf.is_rx)
		return;
	for (i = 0; i < n; i++) {
		m[k] = make_pkt(lens[get8(r) % RTE_DIM(lens)], (uint8_t)i);
		if (m[k] != NULL)
			k++;
	}
	vhacc_virtq_get_state(c->q, &before);
	got = vhacc_virtq_enqueue_burst(c->q, m, k);
	check_after_burst(c, &before, got, k);
	for (i = 0; i < k; i++)
		rte_pktmbuf_free(m[i]);
}

static void
run(const uint8_t *data, size_t size)
{
	struct reader rd = {data, size}, *r = &rd;
	struct fuzz_ctx c;
	uint8_t cfg = get8(r), feat = get8(r);
#if FUZZ_PACKED
	uint16_t start = get16(r), i, nops, pos;
#else
	uint16_t start = get16(r), i, nops;
#endif
	uint64_t features = ring_features(feat);
	int efd;

	memset(&c, 0, sizeof(c));
#if FUZZ_PACKED
	ring_mem_clear(ringmem);
#else
	ASAN_UNPOISON_MEMORY_REGION(region[0], FILL_OFF);
#endif
	memset(region[0], 0, R0_SIZE);
	memset(region[1], 0, R1_SIZE);
	memset(region[2], 0, R2_SIZE);
#if FUZZ_PACKED
	c.size = (uint16_t)(1 + cfg % MAX_SIZE);
	c.pd.desc = (struct vring_packed_desc *)(void *)(ringmem + RING_DESC_OFF);
	c.drv = (struct vring_packed_desc_event *)(void *)(ringmem + RING_AVAIL_OFF);
	c.dev = (struct vring_packed_desc_event *)(void *)(ringmem + RING_USED_OFF);
#else
	c.size = (uint16_t)(1u << (cfg % 5));
	c.desc = (struct vring_desc *)(void *)(region[0] + DESC_OFF);
	c.avail = (struct vring_avail *)(void *)(region[0] + AVAIL_OFF);
	c.used = (struct vring_used *)(void *)(region[0] + USED_OFF);
#endif

	if (feat & 128) /* offloads: TX headers go through virtq_net_hdr_to_mbuf() */
		features |= FEAT(VIRTIO_NET_F_CSUM) | FEAT(VIRTIO_NET_F_GUEST_CSUM) |
			    FEAT(VIRTIO_NET_F_HOST_TSO4) | FEAT(VIRTIO_NET_F_HOST_TSO6) |
			    FEAT(VIRTIO_NET_F_GUEST_TSO4) | FEAT(VIRTIO_NET_F_GUEST_TSO6);
#if FUZZ_PACKED
	features |= FEAT(VIRTIO_F_RING_PACKED);
	pos = packed_ring_draw(&c.pd, c.drv, c.size, start, r, DIR_AS_DRAWN);
	ring_mem_poison(ringmem, true, c.size);
#else
	split_ring_draw(c.desc, c.avail, c.used, c.size, start, r, DIR_AS_DRAWN);
	/* The gaps between the rings are guest memory: a guest may point a buffer
	 * there (or at the rings themselves), so nothing inside the regions is
	 * poisoned; ASan still catches any access outside them. */
#endif

	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	c.q = calloc(1, vhacc_virtq_alloc_size(c.size));
	CHECK(c.q != NULL);
	c.conf = (struct vhacc_virtq_conf)
	{
#if FUZZ_PACKED
		.packed = true, .desc_packed = c.pd.desc, .driver_event = c.drv,
		.device_event = c.dev,
#else
		.desc = c.desc, .avail = c.avail, .used = c.used,
#endif
		.size = c.size,
#if FUZZ_PACKED
		.last_avail_idx = pos, .last_used_idx = pos,
#else
		.last_avail_idx = start, .last_used_idx = start,
#endif
		.features = features, .mem = &mem, .callfd = (cfg & 0x80) ? -1 : efd,
		.vid = FUZZ_VID, .vring_idx = (feat & 64) ? 0 : 1, .is_rx = (feat & 64) != 0,
		.max_frame = (cfg & 0x40) ? 1514 : 0,
	};
	log_ring[0] = (struct log_ring){c.size, FUZZ_PACKED, c.conf.vring_idx};
	queue_setup(c.q, &c.conf);
	/* the peer, of the opposite direction: its layout, features and ring from the input too */
	peer_init(&c.peer, r, !c.conf.is_rx, FUZZ_PACKED, efd);

	nops = 1 + get8(r) % 12;
	{
		/* indirect tables and buffer contents: the rest of the input */
		const uint8_t *ops_p = r->p;
		size_t ops_left = r->left, skip = RTE_MIN(ops_left, (size_t)nops * 3u);
		size_t fill = RTE_MIN(ops_left - skip, (size_t)(R0_SIZE - FILL_OFF));

		memcpy(region[0] + FILL_OFF, ops_p + skip, fill);
	}

	for (i = 0; i < nops; i++) {
		uint8_t op = get8(r);

		switch (op % 10) {
		case 0:
		case 1:
			op_dequeue(&c, r);
			op_enqueue(&c, r);
			break;
		case 2: {
			/* the guest rewrites a descriptor; the fields come from the fill area */
			struct reader fr = {region[0] + FILL_OFF + (op >> 3) * 7u, 64};
#if FUZZ_PACKED
			uint16_t d = get8(r) % c.size;

			write_pdesc(&c.pd.desc[d], &fr, c.size, get8(r) & 1, DIR_AS_DRAWN);
#else
			write_sdesc(&c.desc[get8(r) % c.size], &fr, c.size, DIR_AS_DRAWN);
#endif
			break;
		}
		case 3: {
#if FUZZ_PACKED
			/* the driver posts a chain of k descriptors at its position */
			struct reader fr = {region[0] + FILL_OFF + (op >> 3) * 11u, 128};

			pdrv_post_hostile(&c.pd, c.size, r, &fr, DIR_AS_DRAWN);
#else
			/* the guest makes more chains available */
			uint8_t k = get8(r) % (c.size + 2);

			while (k-- > 0) {
				c.avail->ring[c.avail->idx & (c.size - 1)] = op % (c.size + 1);
				c.avail->idx++;
			}
#endif
			break;
		}
		case 4:
			queue_setup_again(c.q, &c.conf, &c.was_broken);
			break;
		case 5:
#if FUZZ_PACKED
			c.drv->off_wrap = (uint16_t)(get16(r) & 0x800f);
			c.drv->flags = get8(r) & 3;
#else
			c.avail->ring[c.size] = (uint16_t)(c.used->idx + get8(r) % 4);
			c.avail->flags ^= VRING_AVAIL_F_NO_INTERRUPT;
#endif
			break;
#if FUZZ_PACKED
		case 6:
			if (op & 0x10) {
				/* as after a hot upgrade: the frontend said another position,
				 * and may have completed descriptors itself (or pretends so) */
				struct vhacc_virtq_state fe;
				uint16_t k;

				fe.last_avail_idx = fe.last_used_idx = get8(r) % c.size;
				fe.avail_wrap = fe.used_wrap = get8(r) & 1;
				k = vhacc_virtq_skip_frontend_used(c.q, &fe);
				CHECK(k <= c.size && c.q->skip_len == k);
				CHECK(k == 0 || c.q->skip_pos < c.size);
				break;
			}
			/* the driver resynchronises with the device's position */
			pdrv_resync(&c.pd, c.q);
#else
		case 6:
			/* guest recycles everything used: the same chains made available again */
			c.avail->idx = (uint16_t)(c.avail->idx + get8(r) % (c.size + 1));
#endif
			break;
		case 7:
			op_dequeue(&c, r);
			op_enqueue(&c, r);
			op_dequeue(&c, r);
			op_enqueue(&c, r);
			break;
		case 8:
			peer_xfer(&c.peer, c.q, &c.was_broken, &c.broken_expected, r);
			break;
		default:
			/* the peer's guest acts, then a transfer */
			peer_guest(&c.peer, r);
			peer_xfer(&c.peer, c.q, &c.was_broken, &c.broken_expected, r);
			break;
		}
	}
	free(c.peer.q);
	free(c.q);
	if (efd >= 0)
		close(efd);
	CHECK(rte_mempool_avail_count(pool) == NB_MBUF);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal_argv[] = {(char *)"fuzz", (char *)"--no-huge", (char *)"-m", (char *)"128",
		(char *)"--no-pci", (char *)"--no-shconf", (char *)"--no-telemetry",
		(char *)"--file-prefix", (char *)"vhacc-fuzz-virtq", (char *)"--log-level",
		(char *)"error"};
	static const uint64_t sz[3] = {R0_SIZE, R1_SIZE, R2_SIZE};
	static const uint64_t gpa[3] = {R0_GPA, R1_GPA, R2_GPA};
	int i;

	(void)argc;
	(void)argv;
	if (rte_eal_init((int)RTE_DIM(eal_argv), eal_argv) < 0)
		abort();
	pool = rte_pktmbuf_pool_create(
		"fuzz_virtq", NB_MBUF, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		abort();
#if FUZZ_PACKED
	ringmem = malloc(RING_MEM);
	peermem = malloc(RING_MEM);
	if (ringmem == NULL || peermem == NULL)
#else
	peermem = malloc(RING_MEM); /* outside guest memory, as a ring may be */
	if (peermem == NULL)
#endif
		abort();
	mem.nregions = 3;
	for (i = 0; i < 3; i++) {
		/* exact-size allocations: ASan reports any access past a region */
		region[i] = malloc(sz[i]);
		if (region[i] == NULL)
			abort();
		mem.regions[i] = (struct vhacc_guest_region){
			.gpa = gpa[i], .size = sz[i], .hva = (uint64_t)(uintptr_t)region[i]};
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size);
	return 0;
}

#ifdef VHACC_FUZZ_STANDALONE
#include "fuzz_main.h"

int
main(int argc, char **argv)
{
	static uint8_t buf[4096];
	const struct fuzz_main m = {FUZZ_NAME, buf, sizeof(buf), 16, 2048, NULL};

	LLVMFuzzerInitialize(&argc, &argv);
	return fuzz_main(argc, argv, &m);
}
#endif
