/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the packed-virtqueue engine (lib/virtq, conf.packed).
 *
 * The input sets up a small packed ring (1..16 entries, any size) whose
 * descriptors, event suppression areas and indirect tables live in guest
 * memory together with the buffers, then runs a short program of
 * dequeue/enqueue bursts, descriptor rewrites, chains posted by a driver
 * that keeps its wrap counter (sometimes wrongly), event area changes and
 * re-setups. The engine must never crash or touch memory outside the guest
 * regions (ASan), and must keep its invariants: a burst returns at most n,
 * used and avail positions (with wrap counters) move together, a broken
 * queue stays silent until it is set up again, dirty-log ranges are guest
 * physical addresses inside guest memory or offsets inside the descriptor
 * ring, and no mbuf is lost.
 *
 * Each input also sets up a peer queue of the opposite direction, packed or
 * split (mixed transfers), with its ring outside guest memory (poisoned
 * around it) and its contents, features and position from the input too,
 * and runs the one-copy transfer (vhacc_virtq_xfer_burst) between the two:
 * the fuzzed queue as source if it is a TX queue, else as destination,
 * whenever vhacc_virtq_xfer_possible() allows. The peer's guest posts,
 * rewrites and recycles chains and the peer is set up again, all from the
 * input. After each transfer: its counts, both positions, the broken state
 * and the counters of both queues must agree (see op_xfer()).
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

#define FEAT(b) (1ULL << (b))

/* region 0 holds the rings, tables and buffers; region 1 is adjacent; region 2 distant */
#define R0_GPA    0x10000ULL
#define R0_SIZE   0x10000ULL
#define R1_GPA    (R0_GPA + R0_SIZE)
#define R1_SIZE   0x1000ULL
#define R2_GPA    0x7ffff000ULL
#define R2_SIZE   0x1000ULL
#define DESC_OFF  0x0
#define DRV_OFF   0x400 /* driver event suppression area */
#define DEV_OFF   0x800 /* device event suppression area */
#define FILL_OFF  0x1000
#define MAX_SIZE  16
#define NB_MBUF   512
#define MAX_BURST 32

/* The peer's ring: its own memory outside guest memory, the parts poisoned around */
#define PEER_MEM    0x1000
#define P_DESC_OFF  0x0   /* split descriptor table / packed descriptor ring */
#define P_AVAIL_OFF 0x400 /* split avail ring / packed driver event area */
#define P_USED_OFF  0x800 /* split used ring / packed device event area */
#define FUZZ_VID    3     /* the fuzzed queue's rte_vhost device id */
#define PEER_VID    4     /* the peer's */

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_virtq_packed: check failed: %s (line %d)\n", #c,     \
				__LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rte_mempool *pool;
static uint8_t *region[3];
/*
 * The ring and event areas live outside guest memory here, so that a guest
 * buffer can never legitimately cover them (a real guest may point a buffer
 * at its own ring): any access to the poisoned bytes around them is a stray
 * ring access by the engine.
 */
static uint8_t *ringmem;
static uint8_t *peermem; /* the peer's ring, outside guest memory too */
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
	/* regions 0 and 1 (adjacent), a little past their end */
	return R0_GPA + (v % (R0_SIZE + R1_SIZE + 0x100));
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

#define F_AVAIL ((uint16_t)(1u << VRING_PACKED_DESC_F_AVAIL))
#define F_USED  ((uint16_t)(1u << VRING_PACKED_DESC_F_USED))

/* AVAIL/USED bits: mostly "available in lap wrap", sometimes anything */
static uint16_t
pick_avail_bits(struct reader *r, bool wrap)
{
	uint8_t v = get8(r);

	if ((v & 7) != 0)
		return wrap ? F_AVAIL : F_USED;
	return (v & 8 ? F_AVAIL : 0) | (v & 16 ? F_USED : 0);
}

static void
write_desc(struct vring_packed_desc *d, struct reader *r, uint16_t size, bool wrap)
{
	uint8_t fl = get8(r), id = get8(r);

	d->addr = pick_addr(r);
	d->len = pick_len(r);
	/* ids: mostly valid, sometimes just past the ring or anything */
	d->id = id & 0x80 ? (uint16_t)(id << 8 | id) : id % (size + 2);
	d->flags = (fl & (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT)) |
		   pick_avail_bits(r, wrap);
}

/* Split descriptors (a split peer). */
static void
write_sdesc(struct vring_desc *d, struct reader *r, uint16_t size)
{
	uint8_t fl = get8(r);

	d->addr = pick_addr(r);
	d->len = pick_len(r);
	d->flags = fl & (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT);
	d->next = get8(r) % (size + 2);
}

/* The peer's direction bit mostly right for its ring (is_rx: device-writable). */
static uint16_t
peer_dir(struct reader *r, uint16_t flags, bool is_rx)
{
	if ((get8(r) & 7) == 0)
		return flags; /* as drawn */
	return (uint16_t)((flags & ~VRING_DESC_F_WRITE) | (is_rx ? VRING_DESC_F_WRITE : 0));
}

static void
write_pdesc(struct vring_packed_desc *d, struct reader *r, uint16_t size, bool wrap, bool is_rx)
{
	write_desc(d, r, size, wrap);
	d->flags = peer_dir(r, d->flags, is_rx);
}

static void
write_peer_desc(struct vring_desc *d, struct reader *r, uint16_t size, bool is_rx)
{
	write_sdesc(d, r, size);
	d->flags = peer_dir(r, d->flags, is_rx);
}

/* The queue of the opposite direction that the transfer runs with. */
struct peer {
	struct vhacc_virtq *q;
	struct vhacc_virtq_conf conf;
	uint16_t size;
	bool packed;
	struct vring_desc *desc; /* split */
	struct vring_avail *avail;
	struct vring_used *used;
	struct vring_packed_desc *pdesc; /* packed */
	struct vring_packed_desc_event *drv;
	struct vring_packed_desc_event *dev;
	uint16_t drv_pos; /* packed: the driver's next descriptor and wrap counter */
	bool drv_wrap;
	uint64_t broken_expected; /* stats.broken if the queue is broken now */
	bool was_broken;
};

struct fuzz_ctx {
	struct vhacc_virtq *q;
	struct vhacc_virtq_conf conf;
	struct vring_packed_desc *desc;
	struct vring_packed_desc_event *drv;
	struct vring_packed_desc_event *dev;
	uint16_t size;
	uint16_t drv_pos; /* the driver's next descriptor and wrap counter */
	bool drv_wrap;
	uint64_t broken_expected; /* stats.broken if the queue is broken now */
	bool was_broken;
	struct peer peer;
};

/* A broken queue stays broken until set up again; stats.broken counts it once per setup. */
static void
check_broken(const struct vhacc_virtq *q, bool *was_broken, uint64_t *broken_expected)
{
	if (*was_broken)
		CHECK(q->broken);
	if (q->broken) {
		CHECK(q->broken_reason > VHACC_BROKEN_NONE &&
			q->broken_reason < VHACC_BROKEN_REASON_MAX);
		CHECK(vhacc_virtq_broken_reason_str(q->broken_reason) != NULL);
		if (!*was_broken)
			(*broken_expected)++;
		*was_broken = true;
	}
	CHECK(q->stats.broken == *broken_expected);
}

static void
check_after_burst(
	struct fuzz_ctx *c, const struct vhacc_virtq_state *before, uint16_t got, uint16_t n)
{
	struct vhacc_virtq_state st;
	struct vhacc_virtq_held h[MAX_SIZE];

	CHECK(got <= n);
	vhacc_virtq_get_state(c->q, &st);
	/* every chain taken is given back in the same burst */
	CHECK(st.last_avail_idx == st.last_used_idx && st.avail_wrap == st.used_wrap);
	CHECK(st.last_avail_idx < c->size && st.last_used_idx < c->size);
	CHECK(vhacc_virtq_held(c->q, h, MAX_SIZE) == 0);
	if (c->was_broken) {
		/* a broken queue does nothing */
		CHECK(got == 0);
		CHECK(st.last_avail_idx == before->last_avail_idx);
		CHECK(st.last_used_idx == before->last_used_idx);
		CHECK(st.avail_wrap == before->avail_wrap && st.used_wrap == before->used_wrap);
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
op_setup(struct fuzz_ctx *c)
{
	struct vhacc_virtq_state st;

	vhacc_virtq_get_state(c->q, &st);
	c->conf.last_avail_idx = st.last_avail_idx | (st.avail_wrap ? VHACC_VIRTQ_PACKED_WRAP : 0);
	c->conf.last_used_idx = st.last_used_idx | (st.used_wrap ? VHACC_VIRTQ_PACKED_WRAP : 0);
	CHECK(vhacc_virtq_setup(c->q, &c->conf) == 0);
	CHECK(c->dev->flags == VRING_PACKED_EVENT_FLAG_DISABLE);
	CHECK(!c->q->broken);
	c->was_broken = false;
}

/* ------------------------------------------------------------------------ */
/* The peer queue and the one-copy transfer. */

#define OFFLOADS_GUEST                                                                             \
	(FEAT(VIRTIO_NET_F_GUEST_CSUM) | FEAT(VIRTIO_NET_F_GUEST_TSO4) |                           \
		FEAT(VIRTIO_NET_F_GUEST_TSO6))
#define OFFLOADS_ALL                                                                               \
	(OFFLOADS_GUEST | FEAT(VIRTIO_NET_F_CSUM) | FEAT(VIRTIO_NET_F_HOST_TSO4) |                 \
		FEAT(VIRTIO_NET_F_HOST_TSO6))

/*
 * The peer's offloads: mostly the receive ones only, so that as a source it
 * asks for none and as a destination it can take any request (the transfer
 * is possible); sometimes all of them, sometimes any subset, for
 * vhacc_virtq_xfer_possible() to decide.
 */
static uint64_t
peer_offloads(uint8_t v)
{
	static const uint8_t bit[6] = {VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM,
		VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_GUEST_TSO4,
		VIRTIO_NET_F_GUEST_TSO6};
	uint64_t f = 0;
	unsigned int i;

	switch (v & 3) {
	case 0:
	case 1:
		return OFFLOADS_GUEST;
	case 2:
		return OFFLOADS_ALL;
	default:
		for (i = 0; i < RTE_DIM(bit); i++)
			if (v & (4u << i))
				f |= FEAT(bit[i]);
		return f;
	}
}

/* Set up the peer, of direction is_rx, from the input: layout, size, features, ring. */
static void
peer_init(struct peer *p, struct reader *r, bool is_rx, int efd)
{
	static const uint32_t max_frame[4] = {0, 1514, 9018, 64};
	uint8_t cfg = get8(r), feat = get8(r), off = get8(r);
	uint16_t start = get16(r), i, pos;
	uint64_t features = peer_offloads(off);

	memset(p, 0, sizeof(*p));
	ASAN_UNPOISON_MEMORY_REGION(peermem, PEER_MEM);
	memset(peermem, 0, PEER_MEM);
	p->packed = (cfg & 0x10) == 0; /* a packed fuzzed queue: a packed or a split peer */
	p->size = p->packed ? (uint16_t)(1 + (cfg & 15)) : (uint16_t)(1u << ((cfg & 15) % 5));

	if (feat & 1)
		features |= FEAT(VIRTIO_NET_F_MRG_RXBUF);
	if (feat & 2)
		features |= FEAT(VIRTIO_F_VERSION_1);
	if (feat & 4)
		features |= FEAT(VIRTIO_RING_F_EVENT_IDX);
	if (!(feat & 8))
		features |= FEAT(VIRTIO_RING_F_INDIRECT_DESC);
	if (feat & 16)
		features |= FEAT(VIRTIO_F_IN_ORDER);
	if (feat & 32)
		features |= FEAT(VHOST_F_LOG_ALL);

	if (p->packed) {
		features |= FEAT(VIRTIO_F_RING_PACKED);
		p->pdesc = (struct vring_packed_desc *)(void *)(peermem + P_DESC_OFF);
		p->drv = (struct vring_packed_desc_event *)(void *)(peermem + P_AVAIL_OFF);
		p->dev = (struct vring_packed_desc_event *)(void *)(peermem + P_USED_OFF);
		p->drv_pos = start % p->size;
		p->drv_wrap = (start & 0x8000) != 0;
		/* descriptors from the driver's position on are in its lap, those before in the next */
		for (i = 0; i < p->size; i++)
			write_pdesc(&p->pdesc[i], r, p->size,
				i >= p->drv_pos ? p->drv_wrap : !p->drv_wrap, is_rx);
		p->drv->off_wrap = get16(r);
		p->drv->flags = get8(r) & 3;
		/* the engine may touch the ring and event areas only: poison the rest */
		ASAN_POISON_MEMORY_REGION(peermem + P_DESC_OFF + 16u * p->size,
			P_AVAIL_OFF - P_DESC_OFF - 16u * p->size);
		ASAN_POISON_MEMORY_REGION(peermem + P_AVAIL_OFF + 4, P_USED_OFF - P_AVAIL_OFF - 4);
		ASAN_POISON_MEMORY_REGION(peermem + P_USED_OFF + 4, PEER_MEM - P_USED_OFF - 4);
		pos = (uint16_t)(p->drv_pos | (p->drv_wrap ? VHACC_VIRTQ_PACKED_WRAP : 0));
	} else {
		p->desc = (struct vring_desc *)(void *)(peermem + P_DESC_OFF);
		p->avail = (struct vring_avail *)(void *)(peermem + P_AVAIL_OFF);
		p->used = (struct vring_used *)(void *)(peermem + P_USED_OFF);
		for (i = 0; i < p->size; i++)
			write_peer_desc(&p->desc[i], r, p->size, is_rx);
		for (i = 0; i < p->size; i++)
			p->avail->ring[i] = get8(r) % (p->size + 1);
		p->avail->ring[p->size] = get16(r); /* used_event */
		p->avail->flags = get8(r) & VRING_AVAIL_F_NO_INTERRUPT;
		p->avail->idx = (uint16_t)(start + get8(r) % (p->size + 2));
		p->used->idx = start;
		/* the table, the avail ring with used_event, the used ring with avail_event */
		ASAN_POISON_MEMORY_REGION(peermem + P_DESC_OFF + 16u * p->size,
			P_AVAIL_OFF - P_DESC_OFF - 16u * p->size);
		ASAN_POISON_MEMORY_REGION(peermem + P_AVAIL_OFF + 6 + 2u * p->size,
			P_USED_OFF - P_AVAIL_OFF - 6 - 2u * p->size);
		ASAN_POISON_MEMORY_REGION(peermem + P_USED_OFF + 6 + 8u * p->size,
			PEER_MEM - P_USED_OFF - 6 - 8u * p->size);
		pos = start;
	}

	p->conf = (struct vhacc_virtq_conf){
		.packed = p->packed,
		.desc = p->desc,
		.avail = p->avail,
		.used = p->used,
		.desc_packed = p->pdesc,
		.driver_event = p->drv,
		.device_event = p->dev,
		.size = p->size,
		.last_avail_idx = pos,
		.last_used_idx = pos,
		.features = features,
		.mem = &mem,
		.callfd = (cfg & 0x20) ? -1 : efd,
		.vid = PEER_VID,
		.vring_idx = is_rx ? 0 : 1,
		.is_rx = is_rx,
		.max_frame = max_frame[feat >> 6],
	};
	log_ring[1] = (struct log_ring){p->size, p->packed, p->conf.vring_idx};
	p->q = calloc(1, vhacc_virtq_alloc_size(p->size));
	CHECK(p->q != NULL);
	CHECK(vhacc_virtq_setup(p->q, &p->conf) == 0);
	if (p->packed)
		CHECK(p->dev->flags == VRING_PACKED_EVENT_FLAG_DISABLE);
}

/* The peer's frontend sets the ring up again at the device's position. */
static void
peer_setup(struct peer *p)
{
	struct vhacc_virtq_state st;

	vhacc_virtq_get_state(p->q, &st);
	p->conf.last_avail_idx =
		(uint16_t)(st.last_avail_idx | (st.avail_wrap ? VHACC_VIRTQ_PACKED_WRAP : 0));
	p->conf.last_used_idx =
		(uint16_t)(st.last_used_idx | (st.used_wrap ? VHACC_VIRTQ_PACKED_WRAP : 0));
	CHECK(vhacc_virtq_setup(p->q, &p->conf) == 0);
	if (p->packed)
		CHECK(p->dev->flags == VRING_PACKED_EVENT_FLAG_DISABLE);
	CHECK(!p->q->broken);
	p->was_broken = false;
}

/* The peer's (packed) driver posts a chain at its position, the head made available last. */
static void
peer_post_packed(struct peer *p, struct reader *r, struct reader *fr)
{
	uint8_t k = 1 + get8(r) % (p->size + 1), j;
	uint16_t head = p->drv_pos, head_flags = 0;

	for (j = 0; j < k; j++) {
		struct vring_packed_desc *d = &p->pdesc[p->drv_pos];
		uint16_t fl;

		write_pdesc(d, fr, p->size, p->drv_wrap, p->conf.is_rx);
		fl = d->flags & ~VRING_DESC_F_NEXT;
		if (j + 1 < k)
			fl |= VRING_DESC_F_NEXT;
		if (j == 0) {
			head_flags = fl;
			d->flags = 0;
		} else {
			d->flags = fl;
		}
		if (++p->drv_pos == p->size) {
			p->drv_pos = 0;
			p->drv_wrap = !p->drv_wrap;
		}
	}
	__atomic_store_n(&p->pdesc[head].flags, head_flags, __ATOMIC_RELEASE);
}

/* A buffer address for a well-formed chain: in region 0, sometimes below the fill area. */
static uint64_t
good_addr(struct reader *r, uint32_t len)
{
	uint16_t v = get16(r);
	uint64_t lo = (v & 0x8000) ? 0 : FILL_OFF;

	return R0_GPA + lo + (uint64_t)(v & 0x7fff) * 2 % (R0_SIZE - lo - len + 1);
}

static uint32_t
good_len(struct reader *r)
{
	uint16_t v = get16(r);

	return 1u + ((v & 0x8000) ? v & 15u : v % 2048u);
}

/*
 * The peer's guest posts a well-formed chain of k buffers, direct or through
 * an indirect table it writes in guest memory, a TX chain starting with a
 * zero virtio-net header (mostly): so that transfers get deep (long chains,
 * mergeable buffers, a chain re-walked) while the fuzzed queue stays hostile.
 */
static void
peer_post_good(struct peer *p, struct reader *r)
{
	uint8_t b = get8(r);
	bool ind =
		(b & 1) && ((p->conf.features & FEAT(VIRTIO_RING_F_INDIRECT_DESC)) || (b & 0x40));
	uint16_t k = (uint16_t)(1 + (b >> 1) % (ind ? 16 : p->size)), j, nd = ind ? 1 : k;
	uint16_t dir = p->conf.is_rx ? VRING_DESC_F_WRITE : 0, id = get8(r) % p->size;
	uint64_t addr[16], tgpa = 0;
	uint32_t len[16], hdr = 12;

	for (j = 0; j < k; j++) {
		len[j] = good_len(r);
		addr[j] = good_addr(r, len[j]);
	}
	/* the guest's virtio-net header: no offload request (the buffers hold input bytes) */
	for (j = 0; j < k && hdr > 0 && !p->conf.is_rx && !(b & 0x80); j++) {
		uint32_t z = RTE_MIN(hdr, len[j]);

		memset(region[0] + (addr[j] - R0_GPA), 0, z);
		hdr -= z;
	}
	if (ind) {
		uint8_t *t;

		tgpa = R0_GPA + FILL_OFF + get16(r) % (R0_SIZE - FILL_OFF - 16u * 16u);
		t = region[0] + (tgpa - R0_GPA);
		for (j = 0; j < k; j++) {
			if (p->packed) {
				struct vring_packed_desc e = {addr[j], len[j], 0, dir};

				memcpy(t + 16u * j, &e, sizeof(e));
			} else {
				struct vring_desc e = {addr[j], len[j],
					(uint16_t)(dir | (j + 1 < k ? VRING_DESC_F_NEXT : 0)),
					(uint16_t)(j + 1)};

				memcpy(t + 16u * j, &e, sizeof(e));
			}
		}
	}
	if (!p->packed) {
		uint16_t h = get8(r) % p->size, d;

		for (j = 0; j < nd; j++) {
			uint16_t fl = (uint16_t)(dir | (j + 1 < nd ? VRING_DESC_F_NEXT : 0));

			d = (uint16_t)((h + j) % p->size);
			if (ind)
				p->desc[d] = (struct vring_desc){
					tgpa, 16u * k, VRING_DESC_F_INDIRECT, 0};
			else
				p->desc[d] = (struct vring_desc){
					addr[j], len[j], fl, (uint16_t)((d + 1) % p->size)};
		}
		p->avail->ring[p->avail->idx & (p->size - 1)] = h;
		p->avail->idx++;
	} else {
		uint16_t head = p->drv_pos, head_flags = 0;

		for (j = 0; j < nd; j++) {
			struct vring_packed_desc *d = &p->pdesc[p->drv_pos];
			uint16_t fl = ind ? VRING_DESC_F_INDIRECT
					  : (uint16_t)(dir | (j + 1 < nd ? VRING_DESC_F_NEXT : 0));

			fl |= p->drv_wrap ? F_AVAIL : F_USED;
			d->addr = ind ? tgpa : addr[j];
			d->len = ind ? 16u * k : len[j];
			d->id = id;
			if (j == 0) {
				head_flags = fl;
				d->flags = 0; /* the head is made available last */
			} else {
				d->flags = fl;
			}
			if (++p->drv_pos == p->size) {
				p->drv_pos = 0;
				p->drv_wrap = !p->drv_wrap;
			}
		}
		__atomic_store_n(&p->pdesc[head].flags, head_flags, __ATOMIC_RELEASE);
	}
}

/* The peer's guest: posts, rewrites or recycles chains, or its ring is set up again. */
static void
peer_guest(struct peer *p, struct reader *r)
{
	uint8_t sub = get8(r);
	/* descriptor fields come from the fill area, as for the fuzzed ring */
	struct reader fr = {region[0] + FILL_OFF + (sub >> 3) * 11u, 128};
	struct vhacc_virtq_state st;
	uint16_t d;
	uint8_t k, b;

	switch (sub & 7) {
	case 0:
	case 1:
	case 2: /* well-formed chains made available */
		k = 1 + get8(r) % 4;
		while (k-- > 0)
			peer_post_good(p, r);
		break;
	case 3: /* hostile chains made available */
		if (p->packed) {
			peer_post_packed(p, r, &fr);
			break;
		}
		k = get8(r) % (p->size + 2);
		while (k-- > 0) {
			p->avail->ring[p->avail->idx & (p->size - 1)] = get8(r) % (p->size + 1);
			p->avail->idx++;
		}
		break;
	case 4: /* a descriptor rewritten */
		d = get8(r) % p->size;
		if (p->packed) {
			b = get8(r);
			write_pdesc(&p->pdesc[d], &fr, p->size, b & 1, p->conf.is_rx);
		} else {
			write_peer_desc(&p->desc[d], &fr, p->size, p->conf.is_rx);
		}
		break;
	case 5: /* what was used made available again, the event index or flags changed */
		if (p->packed) {
			vhacc_virtq_get_state(p->q, &st);
			p->drv_pos = st.last_used_idx;
			p->drv_wrap = st.used_wrap;
			p->drv->off_wrap = (uint16_t)(get16(r) & 0x800f);
			p->drv->flags = get8(r) & 3;
			peer_post_packed(p, r, &fr);
			break;
		}
		p->avail->idx = (uint16_t)(p->avail->idx + get8(r) % (p->size + 1));
		p->avail->ring[p->size] = (uint16_t)(p->used->idx + get8(r) % 4);
		if (sub & 0x80)
			p->avail->flags ^= VRING_AVAIL_F_NO_INTERRUPT;
		break;
	case 6:
		peer_setup(p);
		break;
	default: /* the guest posts, then the ring is set up again */
		peer_post_good(p, r);
		peer_setup(p);
		break;
	}
}

static bool
same_state(const struct vhacc_virtq_state *a, const struct vhacc_virtq_state *b)
{
	return a->last_avail_idx == b->last_avail_idx && a->last_used_idx == b->last_used_idx &&
	       a->avail_wrap == b->avail_wrap && a->used_wrap == b->used_wrap;
}

/* Between bursts: nothing held, the avail and used positions (and wrap counters) equal. */
static void
check_idle(const struct vhacc_virtq *q, struct vhacc_virtq_state *st)
{
	struct vhacc_virtq_held h[MAX_SIZE];

	vhacc_virtq_get_state(q, st);
	CHECK(st->last_avail_idx == st->last_used_idx);
	if (q->packed)
		CHECK(st->avail_wrap == st->used_wrap && st->last_used_idx < q->size);
	CHECK(vhacc_virtq_held(q, h, MAX_SIZE) == 0);
}

/* How far the used position moved: used entries (split), descriptors (packed). */
static uint32_t
used_moved(const struct vhacc_virtq *q, const struct vhacc_virtq_state *a,
	const struct vhacc_virtq_state *b)
{
	uint32_t la, lb;

	if (!q->packed)
		return (uint16_t)(b->last_used_idx - a->last_used_idx);
	la = a->last_used_idx + (a->used_wrap ? q->size : 0u);
	lb = b->last_used_idx + (b->used_wrap ? q->size : 0u);
	return (lb + 2u * q->size - la) % (2u * q->size);
}

#define DELTA(q, before, field) ((q)->stats.field - (before).field)

/* One-copy transfer between the fuzzed queue and the peer, from guest TX to guest RX. */
static void
op_xfer(struct fuzz_ctx *c, struct reader *r)
{
	struct peer *p = &c->peer;
	struct vhacc_virtq *src = c->conf.is_rx ? p->q : c->q;
	struct vhacc_virtq *dst = c->conf.is_rx ? c->q : p->q;
	struct vhacc_virtq_stats ss = src->stats, ds = dst->stats;
	struct vhacc_virtq_state sb, db, sa, da;
	bool src_broken = src->broken, dst_broken = dst->broken;
	uint8_t v = get8(r);
	/* mostly a usual burst (0 too), sometimes far more than the ring holds */
	uint16_t n = v >= 0xf8 ? (uint16_t)(UINT16_MAX - (v & 7)) : v % (MAX_BURST + 1);
	uint16_t got, consumed = UINT16_MAX;
	uint64_t sent, gso;
	uint32_t moved;

	if (!vhacc_virtq_xfer_possible(src, dst))
		return;
	check_idle(src, &sb);
	check_idle(dst, &db);
	got = vhacc_virtq_xfer_burst(src, dst, n, &consumed);

	CHECK(got <= n && consumed <= n && got <= consumed);
	CHECK(consumed <= src->size);
	check_idle(src, &sa);
	check_idle(dst, &da);
	if (src_broken || dst_broken || n == 0) {
		/* a broken queue does nothing, nor does its peer through it */
		CHECK(consumed == 0);
		CHECK(memcmp(&src->stats, &ss, sizeof(ss)) == 0);
		CHECK(memcmp(&dst->stats, &ds, sizeof(ds)) == 0);
	}
	/* nothing taken, nothing marked used; a frame not delivered leaves dst as it was */
	if (consumed == 0)
		CHECK(same_state(&sb, &sa));
	if (got == 0)
		CHECK(same_state(&db, &da));
	/* a chain is one used entry (split) or at least one descriptor (packed); at most a lap */
	moved = used_moved(src, &sb, &sa);
	CHECK(src->packed ? moved >= consumed && moved <= src->size : moved == consumed);
	moved = used_moved(dst, &db, &da);
	CHECK(moved >= got && moved <= dst->size);
	if (!dst->packed && !dst->mrg_rxbuf)
		CHECK(moved == got);

	/* every chain consumed is delivered or dropped under one counter */
	sent = DELTA(src, ss, packets);
	CHECK(DELTA(dst, ds, packets) == got);
	CHECK(sent + DELTA(src, ss, drop_too_big) + DELTA(src, ss, drop_bad_hdr) +
			DELTA(src, ss, drop_over_mtu) ==
		consumed);
	CHECK(sent == got + DELTA(dst, ds, drop_too_big) + DELTA(dst, ds, drop_over_mtu));
	CHECK(DELTA(dst, ds, bytes) >= got && DELTA(src, ss, bytes) >= DELTA(dst, ds, bytes));
	CHECK(DELTA(src, ss, bytes) <= sent * 65536);
	/* counters the transfer has no business with */
	CHECK(DELTA(src, ss, no_mbuf) == 0 && DELTA(dst, ds, no_mbuf) == 0);
	CHECK(DELTA(src, ss, drop_runt) == 0 && DELTA(dst, ds, drop_runt) == 0);
	CHECK(DELTA(src, ss, rx_no_buffers) == 0 && DELTA(dst, ds, drop_bad_hdr) == 0);
	/* the MTU of both ports, for frames that are not segmented (GSO) */
	gso = src->features & (FEAT(VIRTIO_NET_F_HOST_TSO4) | FEAT(VIRTIO_NET_F_HOST_TSO6));
	if (gso == 0 && src->max_frame != 0)
		CHECK(DELTA(src, ss, bytes) <= sent * src->max_frame);
	if (gso == 0 && dst->max_frame != 0)
		CHECK(DELTA(dst, ds, bytes) <= (uint64_t)got * dst->max_frame);

	/* a burst stops at the first violation: one queue at most newly broken */
	CHECK(!(src->broken && !src_broken && dst->broken && !dst_broken));
	check_broken(c->q, &c->was_broken, &c->broken_expected);
	check_broken(p->q, &p->was_broken, &p->broken_expected);
}

static void
run(const uint8_t *data, size_t size)
{
	struct reader rd = {data, size}, *r = &rd;
	struct fuzz_ctx c;
	uint8_t cfg = get8(r), feat = get8(r);
	uint16_t start = get16(r), i, nops;
	uint64_t features = 0;
	int efd;

	memset(&c, 0, sizeof(c));
	ASAN_UNPOISON_MEMORY_REGION(ringmem, FILL_OFF);
	memset(ringmem, 0, FILL_OFF);
	memset(region[0], 0, R0_SIZE);
	memset(region[1], 0, R1_SIZE);
	memset(region[2], 0, R2_SIZE);
	c.size = (uint16_t)(1 + cfg % MAX_SIZE);
	c.desc = (struct vring_packed_desc *)(void *)(ringmem + DESC_OFF);
	c.drv = (struct vring_packed_desc_event *)(void *)(ringmem + DRV_OFF);
	c.dev = (struct vring_packed_desc_event *)(void *)(ringmem + DEV_OFF);
	c.drv_pos = start % c.size;
	c.drv_wrap = (start & 0x8000) != 0;

	if (feat & 1)
		features |= FEAT(VIRTIO_NET_F_MRG_RXBUF);
	if (feat & 2)
		features |= FEAT(VIRTIO_F_VERSION_1);
	if (feat & 4)
		features |= FEAT(VIRTIO_RING_F_EVENT_IDX);
	if (!(feat & 8))
		features |= FEAT(VIRTIO_RING_F_INDIRECT_DESC);
	if (feat & 16)
		features |= FEAT(VIRTIO_F_IN_ORDER);
	if (feat & 32)
		features |= FEAT(VHOST_F_LOG_ALL);
	if (feat & 128) /* offloads: TX headers go through virtq_net_hdr_to_mbuf() */
		features |= FEAT(VIRTIO_NET_F_CSUM) | FEAT(VIRTIO_NET_F_GUEST_CSUM) |
			    FEAT(VIRTIO_NET_F_HOST_TSO4) | FEAT(VIRTIO_NET_F_HOST_TSO6) |
			    FEAT(VIRTIO_NET_F_GUEST_TSO4) | FEAT(VIRTIO_NET_F_GUEST_TSO6);
	features |= FEAT(VIRTIO_F_RING_PACKED);

	/* descriptors from the driver's position on are in its lap, those before in the next */
	for (i = 0; i < c.size; i++)
		write_desc(&c.desc[i], r, c.size, i >= c.drv_pos ? c.drv_wrap : !c.drv_wrap);
	c.drv->off_wrap = get16(r);
	c.drv->flags = get8(r) & 3;
	/* the engine may touch the ring and event areas only: poison the rest */
	ASAN_POISON_MEMORY_REGION(
		ringmem + DESC_OFF + 16u * c.size, DRV_OFF - DESC_OFF - 16u * c.size);
	ASAN_POISON_MEMORY_REGION(ringmem + DRV_OFF + 4, DEV_OFF - DRV_OFF - 4);
	ASAN_POISON_MEMORY_REGION(ringmem + DEV_OFF + 4, FILL_OFF - DEV_OFF - 4);

	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	c.q = calloc(1, vhacc_virtq_alloc_size(c.size));
	CHECK(c.q != NULL);
	c.conf = (struct vhacc_virtq_conf){
		.packed = true,
		.desc_packed = c.desc,
		.driver_event = c.drv,
		.device_event = c.dev,
		.size = c.size,
		.last_avail_idx =
			(uint16_t)(c.drv_pos | (c.drv_wrap ? VHACC_VIRTQ_PACKED_WRAP : 0)),
		.last_used_idx = (uint16_t)(c.drv_pos | (c.drv_wrap ? VHACC_VIRTQ_PACKED_WRAP : 0)),
		.features = features,
		.mem = &mem,
		.callfd = (cfg & 0x80) ? -1 : efd,
		.vid = FUZZ_VID,
		.vring_idx = (feat & 64) ? 0 : 1,
		.is_rx = (feat & 64) != 0,
		.max_frame = (cfg & 0x40) ? 1514 : 0,
	};
	log_ring[0] = (struct log_ring){c.size, true, c.conf.vring_idx};
	CHECK(vhacc_virtq_setup(c.q, &c.conf) == 0);
	CHECK(c.dev->flags == VRING_PACKED_EVENT_FLAG_DISABLE);
	/* the peer, of the opposite direction: its layout, features and ring from the input too */
	peer_init(&c.peer, r, !c.conf.is_rx, efd);

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
			uint16_t d = get8(r) % c.size;

			write_desc(&c.desc[d], &fr, c.size, get8(r) & 1);
			break;
		}
		case 3: {
			/* the driver posts a chain of k descriptors at its position */
			struct reader fr = {region[0] + FILL_OFF + (op >> 3) * 11u, 128};
			uint8_t k = 1 + get8(r) % (c.size + 1), j;
			uint16_t head = c.drv_pos, head_flags = 0;

			for (j = 0; j < k; j++) {
				struct vring_packed_desc *d = &c.desc[c.drv_pos];
				uint16_t fl;

				write_desc(d, &fr, c.size, c.drv_wrap);
				fl = d->flags & ~VRING_DESC_F_NEXT;
				if (j + 1 < k)
					fl |= VRING_DESC_F_NEXT;
				if (j == 0) {
					head_flags = fl;
					d->flags = 0; /* the head is made available last */
				} else {
					d->flags = fl;
				}
				if (++c.drv_pos == c.size) {
					c.drv_pos = 0;
					c.drv_wrap = !c.drv_wrap;
				}
			}
			__atomic_store_n(&c.desc[head].flags, head_flags, __ATOMIC_RELEASE);
			break;
		}
		case 4:
			op_setup(&c);
			break;
		case 5:
			c.drv->off_wrap = (uint16_t)(get16(r) & 0x800f);
			c.drv->flags = get8(r) & 3;
			break;
		case 6: {
			/* the driver resynchronises with the device's position */
			struct vhacc_virtq_state st;

			vhacc_virtq_get_state(c.q, &st);
			c.drv_pos = st.last_used_idx;
			c.drv_wrap = st.used_wrap;
			break;
		}
		case 7:
			op_dequeue(&c, r);
			op_enqueue(&c, r);
			op_dequeue(&c, r);
			op_enqueue(&c, r);
			break;
		case 8:
			op_xfer(&c, r);
			break;
		default:
			/* the peer's guest acts, then a transfer */
			peer_guest(&c.peer, r);
			op_xfer(&c, r);
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
	ringmem = malloc(FILL_OFF);
	peermem = malloc(PEER_MEM);
	if (ringmem == NULL || peermem == NULL)
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
static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int
main(int argc, char **argv)
{
	static uint8_t buf[4096];
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	long iters = 20000, it;
	int a;

	LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1 && argv[1][0] != '\0' && strspn(argv[1], "0123456789") == strlen(argv[1])) {
		iters = atol(argv[1]);
	} else if (argc > 1) {
		for (a = 1; a < argc; a++) {
			FILE *f = fopen(argv[a], "rb");
			size_t n;

			if (f == NULL) {
				perror(argv[a]);
				return 1;
			}
			n = fread(buf, 1, sizeof(buf), f);
			fclose(f);
			run(buf, n);
		}
		printf("fuzz_virtq_packed: %d inputs ran\n", argc - 1);
		return 0;
	}
	for (it = 0; it < iters; it++) {
		size_t n = 16 + xorshift(&seed) % 2048, i;

		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)xorshift(&seed);
		run(buf, n);
	}
	printf("fuzz_virtq_packed: %ld random inputs ran\n", iters);
	return 0;
}
#endif
