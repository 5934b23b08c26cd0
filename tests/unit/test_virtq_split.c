/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the split-virtqueue engine (lib/virtq/vhacc_virtq.h), driven
 * by a simulated guest driver that keeps its rings and buffers in "guest
 * memory" allocated here. Under ASan every byte of guest memory that is not a
 * ring or a posted buffer is poisoned, so a stray engine access is reported.
 * The cases that the packed engine shares are in sim_cases.h; here the split
 * ring's own.
 */

#define SIM_PACKED 0

#include "sim_common.h"

/* ------------------------------------------------------------------------ */
/* Simulated guest                                                           */

struct sim_chain {
	bool busy;
	bool write;
	uint16_t nring; /* ring descriptors taken by this chain */
	uint16_t ring_desc[SIM_MAX_SEGS];
	uint16_t nseg;
	struct sim_seg seg[SIM_MAX_SEGS];
	uint32_t total;
};

struct sim_guest {
	uint8_t *hva[SIM_NREG];
	struct vhacc_guest_mem mem;
	uint64_t brk; /* next free gpa in region 0 */
	uint16_t size;
	uint16_t mask;
	bool in_order;
	bool event_idx;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool *desc_busy;
	uint16_t *free_stack;
	uint16_t nfree;
	uint16_t next_desc;      /* IN_ORDER: descriptors are used in ring order */
	struct sim_chain *chain; /* indexed by head */
	uint16_t avail_idx;      /* driver's next avail slot (published by sim_publish) */
	uint16_t used_seen;      /* used entries already reaped */
	uint16_t *fifo;          /* IN_ORDER: heads in submission order */
	uint32_t fifo_head, fifo_tail;
};

#include "sim_mem.h"

static void
sim_reset_rings(struct sim_guest *g, uint16_t start)
{
	uint16_t i;

	memset(g->desc, 0, 16u * g->size);
	g->avail->flags = 0;
	g->avail->idx = start;
	for (i = 0; i < g->size; i++)
		g->avail->ring[i] = 0;
	g->used->flags = 0;
	g->used->idx = start;
	memset(g->used->ring, 0, 8u * g->size);
	if (g->event_idx) {
		g->avail->ring[g->size] = 0;
		memset((uint8_t *)g->used + 4 + 8u * g->size, 0, 2);
	}
	memset(g->chain, 0, sizeof(*g->chain) * g->size);
	g->nfree = 0;
	for (i = g->size; i > 0; i--) {
		g->desc_busy[i - 1] = false;
		g->free_stack[g->nfree++] = i - 1;
	}
	g->next_desc = 0;
	g->avail_idx = start;
	g->used_seen = start;
	g->fifo_head = 0;
	g->fifo_tail = 0;
}

static void
sim_init(struct sim_guest *g, uint16_t size, uint64_t features, uint16_t start)
{
	static const uint64_t gpa[SIM_NREG] = {SIM_R0_GPA, SIM_R1_GPA, SIM_R2_GPA};
	static const uint64_t sz[SIM_NREG] = {SIM_R0_SIZE, SIM_R1_SIZE, SIM_R2_SIZE};
	uint64_t avail_len, used_len;
	uint32_t i;

	memset(g, 0, sizeof(*g));
	g->size = size;
	g->mask = size - 1;
	g->in_order = (features & F_IN_ORDER) != 0;
	g->event_idx = (features & F_EVIDX) != 0;
	g->mem.nregions = SIM_NREG;
	for (i = 0; i < SIM_NREG; i++) {
		g->hva[i] = aligned_alloc(4096, sz[i]);
		assert_non_null(g->hva[i]);
		memset(g->hva[i], 0x5a, sz[i]);
		SIM_POISON(g->hva[i], sz[i]);
		g->mem.regions[i] = (struct vhacc_guest_region){
			.gpa = gpa[i], .size = sz[i], .hva = (uint64_t)(uintptr_t)g->hva[i]};
	}

	/* rings, each followed by a poisoned gap; event fields only with EVENT_IDX */
	avail_len = 4 + 2u * size + (g->event_idx ? 2 : 0);
	used_len = 4 + 8u * size + (g->event_idx ? 2 : 0);
	g->desc_gpa = SIM_R0_GPA + 0x1000;
	g->avail_gpa = round_up(g->desc_gpa + 16u * size, 64) + 64;
	g->used_gpa = round_up(g->avail_gpa + avail_len, 4096) + 4096;
	g->brk = round_up(g->used_gpa + used_len, 64) + 64;
	sim_unpoison(g, g->desc_gpa, 16u * size);
	sim_unpoison(g, g->avail_gpa, avail_len);
	sim_unpoison(g, g->used_gpa, used_len);
	g->desc = sim_hva(g, g->desc_gpa, 16u * size);
	g->avail = sim_hva(g, g->avail_gpa, avail_len);
	g->used = sim_hva(g, g->used_gpa, used_len);

	g->desc_busy = calloc(size, sizeof(*g->desc_busy));
	g->free_stack = calloc(size, sizeof(*g->free_stack));
	g->chain = calloc(size, sizeof(*g->chain));
	g->fifo = calloc(size, sizeof(*g->fifo));
	assert_true(g->desc_busy && g->free_stack && g->chain && g->fifo);
	sim_reset_rings(g, start);
}

static void
sim_fini(struct sim_guest *g)
{
	static const uint64_t sz[SIM_NREG] = {SIM_R0_SIZE, SIM_R1_SIZE, SIM_R2_SIZE};
	uint32_t i;

	for (i = 0; i < SIM_NREG; i++) {
		if (g->hva[i] == NULL)
			continue;
		SIM_UNPOISON(g->hva[i], sz[i]);
		free(g->hva[i]);
	}
	free(g->desc_busy);
	free(g->free_stack);
	free(g->chain);
	free(g->fifo);
	memset(g, 0, sizeof(*g));
}

static uint16_t *
sim_used_event(struct sim_guest *g)
{
	return (uint16_t *)(void *)((uint8_t *)g->avail + 4 + 2u * g->size);
}

static uint16_t *
sim_avail_event(struct sim_guest *g)
{
	return (uint16_t *)(void *)((uint8_t *)g->used + 4 + 8u * g->size);
}

static uint16_t
sim_desc_get(struct sim_guest *g)
{
	uint16_t d;

	if (g->in_order) {
		d = g->next_desc;
		g->next_desc = (g->next_desc + 1) & g->mask;
	} else {
		assert_true(g->nfree > 0);
		d = g->free_stack[--g->nfree];
	}
	assert_false(g->desc_busy[d]);
	g->desc_busy[d] = true;
	return d;
}

static void
sim_desc_put(struct sim_guest *g, uint16_t d)
{
	assert_true(g->desc_busy[d]);
	g->desc_busy[d] = false;
	if (!g->in_order)
		g->free_stack[g->nfree++] = d;
}

static uint16_t
sim_free_descs(const struct sim_guest *g)
{
	uint16_t i, n = 0;

	for (i = 0; i < g->size; i++)
		n += !g->desc_busy[i];
	return n;
}

/* Add a chain (direct or through one indirect table) to the avail ring, unpublished. */
static uint16_t
sim_add(struct sim_guest *g, const struct sim_seg *seg, uint16_t n, bool write, bool indirect)
{
	uint16_t flags = write ? VRING_DESC_F_WRITE : 0;
	struct sim_chain *c;
	uint16_t head, i;

	assert_true(n >= 1 && n <= SIM_MAX_SEGS);
	if (indirect) {
		uint64_t tgpa = sim_alloc(g, 16u * n);
		struct vring_desc *t = sim_hva(g, tgpa, 16u * n);

		for (i = 0; i < n; i++) {
			t[i].addr = seg[i].gpa;
			t[i].len = seg[i].len;
			t[i].flags = flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0);
			t[i].next = i + 1 < n ? i + 1 : 0;
		}
		head = sim_desc_get(g);
		g->desc[head].addr = tgpa;
		g->desc[head].len = 16u * n;
		g->desc[head].flags = VRING_DESC_F_INDIRECT;
		g->desc[head].next = 0;
		c = &g->chain[head];
		c->nring = 1;
		c->ring_desc[0] = head;
	} else {
		uint16_t d[SIM_MAX_SEGS];

		assert_true(n <= g->size);
		for (i = 0; i < n; i++)
			d[i] = sim_desc_get(g);
		for (i = 0; i < n; i++) {
			g->desc[d[i]].addr = seg[i].gpa;
			g->desc[d[i]].len = seg[i].len;
			g->desc[d[i]].flags = flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0);
			g->desc[d[i]].next = i + 1 < n ? d[i + 1] : 0;
		}
		head = d[0];
		c = &g->chain[head];
		c->nring = n;
		memcpy(c->ring_desc, d, n * sizeof(d[0]));
	}
	assert_false(c->busy);
	c->busy = true;
	c->write = write;
	c->nseg = n;
	c->total = 0;
	for (i = 0; i < n; i++) {
		c->seg[i] = seg[i];
		c->total += seg[i].len;
	}
	g->avail->ring[g->avail_idx & g->mask] = head;
	g->avail_idx++;
	if (g->in_order)
		g->fifo[g->fifo_tail++ % g->size] = head;
	return head;
}

static void
sim_publish(struct sim_guest *g)
{
	__atomic_store_n(&g->avail->idx, g->avail_idx, __ATOMIC_RELEASE);
}

static void
sim_free_chain(struct sim_guest *g, uint16_t head)
{
	struct sim_chain *c = &g->chain[head];
	uint16_t i;

	assert_true(c->busy);
	for (i = 0; i < c->nring; i++)
		sim_desc_put(g, c->ring_desc[i]);
	c->busy = false;
}

/*
 * Reap new used entries. With IN_ORDER the ids are inferred from submission
 * order; the device may batch TX completions and write only the last entry
 * of a batch, so only that one is checked for TX (every entry for RX).
 * The chains' segment records stay readable until the heads are re-added.
 */
static uint16_t
sim_reap(struct sim_guest *g, struct sim_used *out, uint16_t max)
{
	uint16_t uidx = __atomic_load_n(&g->used->idx, __ATOMIC_ACQUIRE);
	uint16_t n = uidx - g->used_seen;
	uint16_t i;

	assert_true(n <= g->size);
	assert_true(n <= max);
	for (i = 0; i < n; i++) {
		const struct vring_used_elem *e = &g->used->ring[(g->used_seen + i) & g->mask];
		uint16_t id;

		if (g->in_order) {
			id = g->fifo[g->fifo_head++ % g->size];
			if (i == n - 1 || g->chain[id].write)
				assert_int_equal(e->id, id);
		} else {
			assert_true(e->id < g->size);
			id = (uint16_t)e->id;
		}
		assert_true(g->chain[id].busy);
		out[i].id = id;
		out[i].len = e->len;
		sim_free_chain(g, id);
	}
	g->used_seen = uidx;
	return n;
}

#include "sim_data.h"

/* ------------------------------------------------------------------------ */
/* Fixture                                                                   */

/* A queue whose avail and used indexes start at start. */
static void
fx_init_idx(struct fx *f, uint16_t size, uint64_t features, bool is_rx, uint16_t start)
{
	fx_fini(f);
	sim_init(&f->g, size, features, start);
	f->q = calloc(1, vhacc_virtq_alloc_size(size));
	assert_non_null(f->q);
	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(f->efd >= 0);
	f->conf = (struct vhacc_virtq_conf){
		.desc = f->g.desc,
		.avail = f->g.avail,
		.used = f->g.used,
		.size = size,
		.last_avail_idx = start,
		.last_used_idx = start,
		.features = features,
		.mem = &f->g.mem,
		.callfd = f->efd,
		.vid = TEST_VID,
		.vring_idx = is_rx ? 0 : 1,
		.is_rx = is_rx,
	};
	assert_int_equal(vhacc_virtq_setup(f->q, &f->conf), 0);
	assert_false(f->q->broken);
	log_reset();
}

static void
check_state(struct fx *f, uint16_t avail, uint16_t used)
{
	struct vhacc_virtq_state st;

	vhacc_virtq_get_state(f->q, &st);
	assert_int_equal(st.last_avail_idx, avail);
	assert_int_equal(st.last_used_idx, used);
	assert_int_equal(f->g.used->idx, used);
	assert_int_equal(held(f), 0);
}

/* Hooks of the shared cases (sim_cases.h) */

static void
fx_init(struct fx *f, uint16_t size, uint64_t features, bool is_rx)
{
	fx_init_idx(f, size, features, is_rx, 0);
}

/* A packed ring's start position and lap: a split ring starts at index 0 all the same. */
static void
fx_init_at(struct fx *f, uint16_t size, uint64_t features, bool is_rx, uint16_t pos, bool wrap)
{
	(void)pos;
	(void)wrap;
	fx_init(f, size, features, is_rx);
}

/* chains taken and used since setup: the indexes moved by as many (descriptors do not count) */
static void
check_taken(struct fx *f, uint16_t chains, uint16_t descs)
{
	uint16_t idx = (uint16_t)(f->conf.last_avail_idx + chains);

	(void)descs;
	check_state(f, idx, idx);
}

/* The engine's indexes equal the driver's: everything published was taken and reaped. */
static void
check_synced(struct fx *f)
{
	struct vhacc_virtq_state st;

	vhacc_virtq_get_state(f->q, &st);
	assert_int_equal(st.last_avail_idx, f->g.avail_idx);
	assert_int_equal(st.last_used_idx, f->g.used_seen);
	assert_int_equal(f->g.used->idx, f->g.used_seen);
	assert_int_equal(held(f), 0);
}

static uint16_t
sim_used_pos(const struct sim_guest *g)
{
	return g->used_seen;
}

/* Every used entry from index from (n of them) and used->idx must be logged. */
static void
check_used_logged(struct fx *f, uint16_t from, const struct sim_used *u, uint16_t n)
{
	uint16_t i;

	(void)u;
	for (i = 0; i < n; i++) {
		uint64_t off = offsetof(struct vring_used, ring) +
			       sizeof(struct vring_used_elem) * ((uint16_t)(from + i) & f->g.mask);

		if (!log_covered(log_u, log_nu, TEST_VID, f->conf.vring_idx, off, 8))
			fail_msg("used ring slot %u not logged", (uint16_t)(from + i) & f->g.mask);
	}
	assert_true(log_covered(
		log_u, log_nu, TEST_VID, f->conf.vring_idx, offsetof(struct vring_used, idx), 2));
	for (i = 0; i < RTE_MIN(log_nu, LOG_MAX); i++)
		assert_true(log_u[i].addr + log_u[i].len <= 4 + 8u * f->g.size + 2);
}

#include "sim_cases.h"

/* ------------------------------------------------------------------------ */
/* RX (device -> guest)                                                      */

/* non-mergeable: too big for the chain, dropped; the chain may be given back empty */
static void
test_rx_too_big(void **state)
{
	FX;
	static uint8_t f1[3000], f2[100], out[200];
	struct sim_used u[8];
	uint16_t nu, i, pos, found = 0;

	fx_init(f, 8, F_V1, true);
	rx_post1(&f->g, 12 + 1500);
	rx_post1(&f->g, 12 + 1500);
	sim_publish(&f->g);
	enq_big_then_small(f, f1, sizeof(f1), f2, sizeof(f2), 48);
	assert_int_equal(held(f), 0);
	nu = sim_reap(&f->g, u, 8);
	assert_true(nu >= 1);
	for (i = 0; i < nu; i++) {
		if (u[i].len == 0)
			continue; /* a chain given back empty for the dropped packet */
		pos = i;
		assert_int_equal(u[i].len, 12 + 100);
		assert_int_equal(rx_collect(&f->g, u, nu, &pos, 12, 1, out), sizeof(f2));
		assert_memory_equal(out, f2, sizeof(f2));
		found++;
	}
	assert_int_equal(found, 1);
}

/* ------------------------------------------------------------------------ */
/* Notifications                                                             */

static void
test_notify_event_idx(void **state)
{
	FX;

	fx_init(f, 16, F_V1 | F_EVIDX, false);
	*sim_used_event(&f->g) = 0;
	tx_one(f, 1); /* used 0 -> 1 crosses event 0 */
	assert_int_equal(efd_count(f), 1);
	assert_int_equal(f->q->stats.notifications, 1);
	assert_int_equal(f->q->stats.notify_suppressed, 0);

	*sim_used_event(&f->g) = 5;
	tx_one(f, 1); /* 1 -> 2 */
	assert_int_equal(efd_count(f), 0);
	tx_one(f, 3); /* 2 -> 5: entry 5 not yet written */
	assert_int_equal(efd_count(f), 0);
	assert_int_equal(f->q->stats.notifications, 1);
	assert_int_equal(f->q->stats.notify_suppressed, 2);
	tx_one(f, 1); /* 5 -> 6 crosses */
	assert_int_equal(efd_count(f), 1);
	assert_int_equal(f->q->stats.notifications, 2);

	*sim_used_event(&f->g) = 7;
	tx_one(f, 4); /* 6 -> 10 crosses 7 in the middle of a burst */
	assert_int_equal(efd_count(f), 1);
	assert_int_equal(f->q->stats.notifications, 3);

	*sim_used_event(&f->g) = 3; /* already passed */
	tx_one(f, 1);
	assert_int_equal(efd_count(f), 0);
	assert_int_equal(f->q->stats.notifications, 3);
	assert_int_equal(f->q->stats.notify_suppressed, 3);

	/* NO_INTERRUPT is ignored with EVENT_IDX; the event index decides */
	f->g.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	*sim_used_event(&f->g) = 11;
	tx_one(f, 1); /* 11 -> 12 crosses 11 */
	assert_int_equal(efd_count(f), 1);
	assert_int_equal(f->q->stats.notifications, 4);
}

static void
test_notify_no_interrupt(void **state)
{
	FX;

	fx_init(f, 16, F_V1, false);
	assert_true(f->g.used->flags & VRING_USED_F_NO_NOTIFY);
	tx_one(f, 2);
	assert_int_equal(efd_count(f), 1); /* one call per burst */
	assert_int_equal(f->q->stats.notifications, 1);
	f->g.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	tx_one(f, 1);
	tx_one(f, 3);
	assert_int_equal(efd_count(f), 0);
	assert_int_equal(f->q->stats.notifications, 1);
	assert_int_equal(f->q->stats.notify_suppressed, 2);
	f->g.avail->flags = 0;
	tx_one(f, 1);
	assert_int_equal(efd_count(f), 1);
	assert_int_equal(f->q->stats.notifications, 2);
}

/*
 * With EVENT_IDX the guest kicks when avail->idx crosses avail_event. vhacc
 * polls, so the engine must not keep asking for a kick on every buffer.
 */
static void
test_event_idx_avail_event(void **state)
{
	FX;
	unsigned int i, kicks = 0;

	fx_init(f, 16, F_V1 | F_EVIDX, false);
	for (i = 0; i < 64; i++) {
		uint16_t old = f->g.avail_idx;

		*sim_used_event(&f->g) = f->g.used_seen;
		tx_one(f, 1);
		if (vring_need_event(*sim_avail_event(&f->g), (uint16_t)(old + 1), old))
			kicks++;
	}
	assert_true(kicks <= 2);
}

/* ------------------------------------------------------------------------ */
/* Dirty logging                                                             */

static void
test_log_tx(void **state)
{
	FX;

	fx_init(f, 8, F_V1 | F_LOG, false);
	tx_one(f, 3);
	check_used_logged(f, 0, NULL, 3);
	log_reset();
	tx_one(f, 2);
	check_used_logged(f, 3, NULL, 2);
}

/* ------------------------------------------------------------------------ */
/* 16-bit index wrap-around                                                  */

static void
test_wrap_tx(void **state)
{
	FX;
	static const uint32_t l2[] = {12, 20, 28};
	uint8_t frame[48];
	struct rte_mbuf *m[8];
	struct sim_used u[8];
	uint16_t round, i, idx = 65530;

	fx_init_idx(f, 8, F_V1 | F_LOG | F_EVIDX, false, 65530);
	for (round = 0; round < 6; round++) {
		log_reset();
		*sim_used_event(&f->g) = idx;
		for (i = 0; i < 3; i++) {
			fill_pattern(frame, sizeof(frame), 100 + round * 3 + i);
			tx_post(&f->g, 12, frame, sizeof(frame), (i & 1) ? l2 : NULL,
				(i & 1) ? RTE_DIM(l2) : 0, false);
		}
		sim_publish(&f->g);
		assert_int_equal(deq(f, m, 8), 3);
		for (i = 0; i < 3; i++) {
			fill_pattern(frame, sizeof(frame), 100 + round * 3 + i);
			check_mbuf(m[i], frame, sizeof(frame));
		}
		free_pkts(m, 3);
		assert_int_equal(sim_reap(&f->g, u, 8), 3);
		check_used_logged(f, idx, u, 3);
		idx += 3;
		check_state(f, idx, idx);
		assert_int_equal(efd_count(f), 1);
	}
	assert_int_equal(idx, (uint16_t)(65530 + 18));
	assert_int_equal(f->q->stats.packets, 18);
}

static void
test_wrap_rx(void **state)
{
	FX;
	static uint8_t fr[2][1518], out[1600];
	static const uint32_t len[2] = {1518, 200};
	struct rte_mbuf *p[2];
	struct sim_used u[8];
	uint16_t round, i, pos, nu, idx = 65530;

	fx_init_idx(f, 8, F_V1 | F_MRG | F_LOG, true, 65530);
	for (round = 0; round < 8; round++) {
		log_reset();
		for (i = 0; i < 3; i++)
			rx_post1(&f->g, 1024);
		sim_publish(&f->g);
		for (i = 0; i < 2; i++) {
			fill_pattern(fr[i], len[i], 120 + round * 2 + i);
			p[i] = mk_pkt(fr[i], len[i], 2048);
		}
		assert_int_equal(enq(f, p, 2), 2);
		free_pkts(p, 2);
		nu = sim_reap(&f->g, u, 8);
		assert_int_equal(nu, 3);
		check_rx_logged(f, u, nu);
		check_used_logged(f, idx, u, 3);
		pos = 0;
		for (i = 0; i < 2; i++) {
			assert_int_equal(
				rx_collect(&f->g, u, nu, &pos, 12, i ? 1 : 2, out), len[i]);
			assert_memory_equal(out, fr[i], len[i]);
		}
		idx += 3;
		check_state(f, idx, idx);
	}
}

/* ------------------------------------------------------------------------ */
/* Hostile rings                                                             */

#define HSIZE 8

static void
raw_desc(
	struct sim_guest *g, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	g->desc[i].addr = addr;
	g->desc[i].len = len;
	g->desc[i].flags = flags;
	g->desc[i].next = next;
	if (!(flags & VRING_DESC_F_INDIRECT))
		sim_unpoison(g, addr, len);
}

static void
raw_push(struct sim_guest *g, uint16_t head)
{
	g->avail->ring[g->avail_idx & g->mask] = head;
	g->avail_idx++;
	sim_publish(g);
}

/* A table of n descriptors in guest memory. */
static struct vring_desc *
raw_table(struct sim_guest *g, uint16_t n, uint64_t *gpa)
{
	*gpa = sim_alloc(g, 16u * n);
	return sim_hva(g, *gpa, 16u * n);
}

static void
tdesc(struct sim_guest *g, struct vring_desc *t, uint16_t i, uint64_t addr, uint32_t len,
	uint16_t flags, uint16_t next)
{
	t[i].addr = addr;
	t[i].len = len;
	t[i].flags = flags;
	t[i].next = next;
	if (!(flags & VRING_DESC_F_INDIRECT))
		sim_unpoison(g, addr, len);
}

struct hostile {
	const char *what;
	bool is_rx;
	uint64_t features;
	void (*build)(struct sim_guest *g);
	enum vhacc_virtq_broken_reason want;
	enum vhacc_virtq_broken_reason alt; /* also accepted, NONE: none */
};

static void
burst_some(struct fx *f, uint16_t expect)
{
	uint8_t frame[60];
	struct rte_mbuf *m[8];
	uint16_t n;

	if (f->conf.is_rx) {
		fill_pattern(frame, sizeof(frame), 99);
		m[0] = mk_pkt(frame, sizeof(frame), 2048);
		n = enq(f, m, 1);
		rte_pktmbuf_free(m[0]);
	} else {
		n = deq(f, m, 8);
		free_pkts(m, n);
	}
	assert_int_equal(n, expect);
}

static void
run_hostile(void **state)
{
	FX;
	const struct hostile *h = f->arg;
	struct vhacc_virtq_state st0, st1;
	struct sim_used u[HSIZE];
	uint16_t used0;

	fx_init(f, HSIZE, h->features, h->is_rx);
	h->build(&f->g);
	used0 = f->g.used->idx;
	vhacc_virtq_get_state(f->q, &st0);

	burst_some(f, 0);
	assert_true(f->q->broken);
	if (f->q->broken_reason != h->want &&
		(h->alt == VHACC_BROKEN_NONE || f->q->broken_reason != h->alt))
		fail_msg("%s: broken_reason %d (%s), want %d (%s)", h->what, f->q->broken_reason,
			vhacc_virtq_broken_reason_str(f->q->broken_reason), h->want,
			vhacc_virtq_broken_reason_str(h->want));
	if (h->alt != VHACC_BROKEN_NONE)
		print_message("    %s -> %s\n", h->what,
			vhacc_virtq_broken_reason_str(f->q->broken_reason));
	assert_int_equal(f->q->stats.broken, 1);
	assert_int_equal(f->g.used->idx, used0);
	assert_int_equal(f->q->stats.packets, 0);

	/* later bursts do nothing, not even with a valid chain behind */
	vhacc_virtq_get_state(f->q, &st0);
	if (f->conf.is_rx) {
		raw_desc(&f->g, HSIZE - 1, sim_alloc(&f->g, 2048), 2048, VRING_DESC_F_WRITE, 0);
	} else {
		uint64_t b = sim_alloc(&f->g, 100);

		memset(sim_hva(&f->g, b, 100), 0, 100);
		raw_desc(&f->g, HSIZE - 1, b, 100, 0, 0);
	}
	raw_push(&f->g, HSIZE - 1);
	burst_some(f, 0);
	burst_some(f, 0);
	assert_true(f->q->broken);
	assert_int_equal(f->q->stats.broken, 1);
	assert_int_equal(f->g.used->idx, used0);
	vhacc_virtq_get_state(f->q, &st1);
	assert_int_equal(st0.last_avail_idx, st1.last_avail_idx);
	assert_int_equal(st0.last_used_idx, st1.last_used_idx);

	/* set up again on a clean ring: works */
	sim_reset_rings(&f->g, 0);
	f->conf.last_avail_idx = 0;
	f->conf.last_used_idx = 0;
	assert_int_equal(vhacc_virtq_setup(f->q, &f->conf), 0);
	assert_false(f->q->broken);
	assert_int_equal(f->q->broken_reason, VHACC_BROKEN_NONE);
	assert_int_equal(f->q->stats.broken, 1);
	if (f->conf.is_rx) {
		rx_post1(&f->g, 2048);
	} else {
		uint8_t frame[60];

		fill_pattern(frame, sizeof(frame), 98);
		tx_post(&f->g, hdr_len_of(h->features), frame, sizeof(frame), NULL, 0, false);
	}
	sim_publish(&f->g);
	burst_some(f, 1);
	assert_int_equal(sim_reap(&f->g, u, HSIZE), 1);
	assert_false(f->q->broken);
}

static void
b_loop2(struct sim_guest *g)
{
	raw_desc(g, 0, sim_alloc(g, 12), 12, VRING_DESC_F_NEXT, 1);
	raw_desc(g, 1, sim_alloc(g, 100), 100, VRING_DESC_F_NEXT, 0);
	raw_push(g, 0);
}

static void
b_self_loop(struct sim_guest *g)
{
	raw_desc(g, 3, sim_alloc(g, 100), 100, VRING_DESC_F_NEXT, 3);
	raw_push(g, 3);
}

static void
b_head_oob(struct sim_guest *g)
{
	raw_push(g, HSIZE);
}

static void
b_head_ffff(struct sim_guest *g)
{
	raw_push(g, 0xffff);
}

static void
b_next_oob(struct sim_guest *g)
{
	raw_desc(g, 0, sim_alloc(g, 12), 12, VRING_DESC_F_NEXT, HSIZE);
	raw_push(g, 0);
}

static void
b_addr_outside(struct sim_guest *g)
{
	raw_desc(g, 0, 0x1000, 100, 0, 0);
	raw_push(g, 0);
}

static void
b_addr_between(struct sim_guest *g)
{
	raw_desc(g, 0, SIM_R2_GPA - 0x10000, 100, 0, 0); /* gap between regions 1 and 2 */
	raw_push(g, 0);
}

static void
b_addr_partly_outside(struct sim_guest *g)
{
	raw_desc(g, 0, SIM_R1_GPA + SIM_R1_SIZE - 100, 200, 0, 0);
	raw_push(g, 0);
}

static void
b_addr_partly_outside_r2(struct sim_guest *g)
{
	raw_desc(g, 0, sim_alloc(g, 12), 12, VRING_DESC_F_NEXT, 1);
	raw_desc(g, 1, SIM_R2_GPA + SIM_R2_SIZE - 50, 51, 0, 0);
	raw_push(g, 0);
}

static void
b_zero_len(struct sim_guest *g)
{
	raw_desc(g, 0, sim_alloc(g, 12), 12, VRING_DESC_F_NEXT, 1);
	raw_desc(g, 1, sim_alloc(g, 64), 0, VRING_DESC_F_NEXT, 2);
	raw_desc(g, 2, sim_alloc(g, 100), 100, 0, 0);
	raw_push(g, 0);
}

static void
b_overflow(struct sim_guest *g)
{
	raw_desc(g, 0, UINT64_MAX - 0x7ff, 0x1000, 0, 0);
	raw_push(g, 0);
}

static void
b_ind_nested(struct sim_guest *g)
{
	uint64_t t1g, t2g;
	struct vring_desc *t1 = raw_table(g, 2, &t1g);
	struct vring_desc *t2 = raw_table(g, 1, &t2g);

	tdesc(g, t2, 0, sim_alloc(g, 100), 100, 0, 0);
	tdesc(g, t1, 0, sim_alloc(g, 12), 12, VRING_DESC_F_NEXT, 1);
	tdesc(g, t1, 1, t2g, 16, VRING_DESC_F_INDIRECT, 0);
	raw_desc(g, 0, t1g, 32, VRING_DESC_F_INDIRECT, 0);
	raw_push(g, 0);
}

static void
b_ind_next(struct sim_guest *g)
{
	uint64_t tg;
	struct vring_desc *t = raw_table(g, 1, &tg);

	tdesc(g, t, 0, sim_alloc(g, 112), 112, 0, 0);
	raw_desc(g, 0, tg, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	raw_desc(g, 1, sim_alloc(g, 100), 100, 0, 0);
	raw_push(g, 0);
}

static void
b_ind_len_odd(struct sim_guest *g)
{
	uint64_t tg;
	struct vring_desc *t = raw_table(g, 2, &tg);

	tdesc(g, t, 0, sim_alloc(g, 12), 12, VRING_DESC_F_NEXT, 1);
	tdesc(g, t, 1, sim_alloc(g, 100), 100, 0, 0);
	raw_desc(g, 0, tg, 24, VRING_DESC_F_INDIRECT, 0);
	raw_push(g, 0);
}

static void
b_ind_len_zero(struct sim_guest *g)
{
	uint64_t tg;
	struct vring_desc *t = raw_table(g, 1, &tg);

	tdesc(g, t, 0, sim_alloc(g, 112), 112, 0, 0);
	raw_desc(g, 0, tg, 0, VRING_DESC_F_INDIRECT, 0);
	raw_push(g, 0);
}

static void
b_ind_outside(struct sim_guest *g)
{
	raw_desc(g, 0, SIM_R2_GPA + SIM_R2_SIZE + 0x1000, 32, VRING_DESC_F_INDIRECT, 0);
	raw_push(g, 0);
}

static void
b_ind_partly_outside(struct sim_guest *g)
{
	uint64_t tg = SIM_R2_GPA + SIM_R2_SIZE - 16;
	struct vring_desc *t = sim_hva(g, tg, 16);

	sim_unpoison(g, tg, 16);
	tdesc(g, t, 0, sim_alloc(g, 112), 112, 0, 0);
	raw_desc(g, 0, tg, 32, VRING_DESC_F_INDIRECT, 0);
	raw_push(g, 0);
}

/* a table larger than the largest ring (32768 entries) */
static void
b_ind_too_many(struct sim_guest *g)
{
	const uint32_t n = 32769;
	uint64_t tg = sim_alloc(g, 16u * n);
	struct vring_desc *t = sim_hva(g, tg, 16u * n);
	uint32_t i;

	memset(t, 0, 16u * n);
	for (i = 0; i < n; i++) {
		t[i].addr = tg;
		t[i].len = 16;
		t[i].flags = i + 1 < n ? VRING_DESC_F_NEXT : 0;
		t[i].next = (uint16_t)(i + 1);
	}
	raw_desc(g, 0, tg, 16u * n, VRING_DESC_F_INDIRECT, 0);
	raw_push(g, 0);
}

static void
b_ind_loop(struct sim_guest *g)
{
	uint64_t tg;
	struct vring_desc *t = raw_table(g, 2, &tg);

	tdesc(g, t, 0, sim_alloc(g, 12), 12, VRING_DESC_F_NEXT, 1);
	tdesc(g, t, 1, sim_alloc(g, 100), 100, VRING_DESC_F_NEXT, 0);
	raw_desc(g, 0, tg, 32, VRING_DESC_F_INDIRECT, 0);
	raw_push(g, 0);
}

static void
b_ind_next_oob(struct sim_guest *g)
{
	uint64_t tg;
	struct vring_desc *t = raw_table(g, 2, &tg);

	tdesc(g, t, 0, sim_alloc(g, 12), 12, VRING_DESC_F_NEXT, 2);
	tdesc(g, t, 1, sim_alloc(g, 100), 100, 0, 0);
	raw_desc(g, 0, tg, 32, VRING_DESC_F_INDIRECT, 0);
	raw_push(g, 0);
}

static void
b_tx_write_desc(struct sim_guest *g)
{
	raw_desc(g, 0, sim_alloc(g, 12), 12, VRING_DESC_F_NEXT, 1);
	raw_desc(g, 1, sim_alloc(g, 100), 100, VRING_DESC_F_WRITE, 0);
	raw_push(g, 0);
}

static void
b_tx_write_desc_ind(struct sim_guest *g)
{
	uint64_t tg;
	struct vring_desc *t = raw_table(g, 2, &tg);

	tdesc(g, t, 0, sim_alloc(g, 12), 12, VRING_DESC_F_NEXT, 1);
	tdesc(g, t, 1, sim_alloc(g, 100), 100, VRING_DESC_F_WRITE, 0);
	raw_desc(g, 0, tg, 32, VRING_DESC_F_INDIRECT, 0);
	raw_push(g, 0);
}

static void
b_tx_hdr_only(struct sim_guest *g)
{
	raw_desc(g, 0, sim_alloc(g, 12), 12, 0, 0);
	raw_push(g, 0);
}

static void
b_tx_hdr_only_split(struct sim_guest *g)
{
	raw_desc(g, 0, sim_alloc(g, 6), 6, VRING_DESC_F_NEXT, 1);
	raw_desc(g, 1, sim_alloc(g, 6), 6, 0, 0);
	raw_push(g, 0);
}

static void
b_tx_shorter_than_hdr(struct sim_guest *g)
{
	raw_desc(g, 0, sim_alloc(g, 5), 5, 0, 0);
	raw_push(g, 0);
}

static void
b_avail_idx(struct sim_guest *g)
{
	g->avail_idx += HSIZE + 1;
	sim_publish(g);
}

static void
b_avail_idx_back(struct sim_guest *g)
{
	g->avail_idx -= 1;
	sim_publish(g);
}

static void
b_rx_read_desc(struct sim_guest *g)
{
	raw_desc(g, 0, sim_alloc(g, 12), 12, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	raw_desc(g, 1, sim_alloc(g, 2048), 2048, 0, 0);
	raw_push(g, 0);
}

static void
b_rx_partly_outside(struct sim_guest *g)
{
	raw_desc(g, 0, SIM_R1_GPA + SIM_R1_SIZE - 30, 2048, VRING_DESC_F_WRITE, 0);
	raw_push(g, 0);
}

static void
b_rx_loop(struct sim_guest *g)
{
	/* 4-byte buffer: the 72-byte packet needs more loads than the ring has descriptors */
	raw_desc(g, 2, sim_alloc(g, 4), 4, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	raw_push(g, 2);
}

static void
b_rx_zero_len(struct sim_guest *g)
{
	raw_desc(g, 0, sim_alloc(g, 2048), 0, VRING_DESC_F_WRITE, 0);
	raw_push(g, 0);
}

/* MRG_RXBUF: the packet needs two buffers, the second is outside memory */
static void
b_rx_mrg_second_bad(struct sim_guest *g)
{
	raw_desc(g, 0, sim_alloc(g, 40), 40, VRING_DESC_F_WRITE, 0);
	raw_push(g, 0);
	raw_desc(g, 1, 0x2000, 1024, VRING_DESC_F_WRITE, 0);
	raw_push(g, 1);
}

#define TXF (F_V1 | F_INDIRECT)
#define RXF (F_V1 | F_MRG | F_INDIRECT)

#define HOSTILE(name, rx, feat, want_, alt_)                                                       \
	static const struct hostile hc_##name = {                                                  \
		#name, rx, feat, b_##name, VHACC_BROKEN_##want_, VHACC_BROKEN_##alt_};             \
	static void test_hostile_##name(void **state)                                              \
	{                                                                                          \
		run_hostile(state);                                                                \
	}

HOSTILE(loop2, false, TXF, CHAIN_LOOP, NONE)
HOSTILE(self_loop, false, TXF, CHAIN_LOOP, NONE)
HOSTILE(head_oob, false, TXF, DESC_INDEX, NONE)
HOSTILE(head_ffff, false, TXF, DESC_INDEX, NONE)
HOSTILE(next_oob, false, TXF, DESC_INDEX, NONE)
HOSTILE(addr_outside, false, TXF, BAD_ADDR, NONE)
HOSTILE(addr_between, false, TXF, BAD_ADDR, NONE)
HOSTILE(addr_partly_outside, false, TXF, BAD_ADDR, NONE)
HOSTILE(addr_partly_outside_r2, false, TXF, BAD_ADDR, NONE)
HOSTILE(zero_len, false, TXF, BAD_LEN, NONE)
HOSTILE(overflow, false, TXF, BAD_LEN, BAD_ADDR)
HOSTILE(ind_nested, false, TXF, INDIRECT, NONE)
HOSTILE(ind_next, false, TXF, INDIRECT, NONE)
HOSTILE(ind_len_odd, false, TXF, INDIRECT, NONE)
HOSTILE(ind_len_zero, false, TXF, INDIRECT, BAD_LEN)
HOSTILE(ind_outside, false, TXF, BAD_ADDR, INDIRECT)
HOSTILE(ind_partly_outside, false, TXF, BAD_ADDR, INDIRECT)
HOSTILE(ind_too_many, false, TXF, INDIRECT, CHAIN_LOOP)
HOSTILE(ind_loop, false, TXF, CHAIN_LOOP, NONE)
HOSTILE(ind_next_oob, false, TXF, DESC_INDEX, NONE)
HOSTILE(tx_write_desc, false, TXF, DESC_DIR, NONE)
HOSTILE(tx_write_desc_ind, false, TXF, DESC_DIR, NONE)
HOSTILE(tx_hdr_only, false, TXF, SHORT_CHAIN, NONE)
HOSTILE(tx_hdr_only_split, false, TXF, SHORT_CHAIN, NONE)
HOSTILE(tx_shorter_than_hdr, false, TXF, SHORT_CHAIN, NONE)
HOSTILE(avail_idx, false, TXF, AVAIL_IDX, NONE)
HOSTILE(avail_idx_back, false, TXF, AVAIL_IDX, NONE)
HOSTILE(rx_read_desc, true, RXF, DESC_DIR, NONE)
HOSTILE(rx_partly_outside, true, RXF, BAD_ADDR, NONE)
HOSTILE(rx_loop, true, RXF, CHAIN_LOOP, NONE)
HOSTILE(rx_zero_len, true, RXF, BAD_LEN, NONE)
HOSTILE(rx_mrg_second_bad, true, RXF, BAD_ADDR, NONE)

/* RX non-mergeable: a hostile ring behind on an RX queue too */
static void
b_rx_avail_idx(struct sim_guest *g)
{
	g->avail_idx += HSIZE + 5;
	sim_publish(g);
}
HOSTILE(rx_avail_idx, true, F_V1, AVAIL_IDX, NONE)

/* ------------------------------------------------------------------------ */
/* Misc                                                                      */

static void
test_translate(void **state)
{
	struct vhacc_guest_mem mem = {0};
	static uint8_t a[4096], b[4096], c[4096];
	uint64_t len;

	(void)state;
	mem.nregions = 3;
	mem.regions[0] = (struct vhacc_guest_region){0x10000, sizeof(a), (uintptr_t)a};
	mem.regions[1] = (struct vhacc_guest_region){0x11000, sizeof(b), (uintptr_t)b};
	mem.regions[2] = (struct vhacc_guest_region){0x80000000, sizeof(c), (uintptr_t)c};

	len = 100;
	assert_ptr_equal(vhacc_guest_mem_translate(&mem, 0x10010, &len), a + 0x10);
	assert_int_equal(len, 100);
	len = 4096;
	assert_ptr_equal(vhacc_guest_mem_translate(&mem, 0x10000, &len), a);
	assert_int_equal(len, 4096);
	len = 1;
	assert_ptr_equal(vhacc_guest_mem_translate(&mem, 0x10fff, &len), a + 4095);
	assert_int_equal(len, 1);
	/* spans regions 0 and 1: shorter */
	len = 200;
	assert_ptr_equal(vhacc_guest_mem_translate(&mem, 0x10fa0, &len), a + 0xfa0);
	assert_int_equal(len, 0x60);
	len = 100;
	assert_ptr_equal(vhacc_guest_mem_translate(&mem, 0x11000, &len), b);
	assert_int_equal(len, 100);
	len = 10;
	assert_ptr_equal(vhacc_guest_mem_translate(&mem, 0x80000ffa, &len), c + 0xffa);
	assert_int_equal(len, 6);
	/* outside */
	len = 10;
	assert_null(vhacc_guest_mem_translate(&mem, 0x12000, &len));
	len = 10;
	assert_null(vhacc_guest_mem_translate(&mem, 0xffff, &len));
	len = 10;
	assert_null(vhacc_guest_mem_translate(&mem, 0x80001000, &len));
	len = 10;
	assert_null(vhacc_guest_mem_translate(&mem, UINT64_MAX - 4, &len));
	/* len 0 */
	len = 0;
	assert_null(vhacc_guest_mem_translate(&mem, 0x10010, &len));
	/* gpa + len overflowing 64 bits: clipped to the region */
	len = UINT64_MAX;
	assert_ptr_equal(vhacc_guest_mem_translate(&mem, 0x80000010, &len), c + 0x10);
	assert_int_equal(len, 4096 - 0x10);
	/* empty table */
	mem.nregions = 0;
	len = 10;
	assert_null(vhacc_guest_mem_translate(&mem, 0x10010, &len));
}

static void
test_setup_einval(void **state)
{
	FX;
	struct vhacc_virtq_conf c;
	static const uint16_t bad_sizes[] = {0, 3, 6, 12, 100, 32767, 65535};
	unsigned int i;

	fx_init(f, 16, F_V1, false);
	for (i = 0; i < RTE_DIM(bad_sizes); i++) {
		c = f->conf;
		c.size = bad_sizes[i];
		assert_int_equal(vhacc_virtq_setup(f->q, &c), -EINVAL);
	}
	c = f->conf;
	c.desc = NULL;
	assert_int_equal(vhacc_virtq_setup(f->q, &c), -EINVAL);
	c = f->conf;
	c.avail = NULL;
	assert_int_equal(vhacc_virtq_setup(f->q, &c), -EINVAL);
	c = f->conf;
	c.used = NULL;
	assert_int_equal(vhacc_virtq_setup(f->q, &c), -EINVAL);
	c = f->conf;
	c.size = 1;
	assert_int_equal(vhacc_virtq_setup(f->q, &c), 0);
	c.size = 16;
	assert_int_equal(vhacc_virtq_setup(f->q, &c), 0);
	tx_one(f, 2);
}

/* setup keeps stats, resets position to the conf and clears held chains */
/* A loaded position: checked against used->idx in the ring, then taken. */
static void
test_state_ring_check(void **state)
{
	FX;
	uint8_t frame[100];
	struct rte_mbuf *m[4];
	struct sim_used u[4];
	struct vhacc_virtq_state st;
	uint16_t i;

	fx_init_idx(f, 16, F_V1, false, 65534);
	for (i = 0; i < 3; i++) {
		fill_pattern(frame, sizeof(frame), 60 + i);
		tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
	}
	sim_publish(&f->g);
	assert_int_equal(deq(f, m, 4), 3);
	free_pkts(m, 3);
	assert_int_equal(sim_reap(&f->g, u, 4), 3);
	vhacc_virtq_get_state(f->q, &st);
	assert_int_equal(st.last_used_idx, 1); /* across the 16-bit wrap */
	assert_true(vhacc_virtq_state_matches_ring(f->q, &st));
	st.last_used_idx = 0;
	assert_false(vhacc_virtq_state_matches_ring(f->q, &st));
	st.last_avail_idx = 0;
	assert_int_equal(vhacc_virtq_set_state(f->q, &st), 0);
	vhacc_virtq_get_state(f->q, &st);
	assert_int_equal(st.last_avail_idx, 0);
	assert_int_equal(st.last_used_idx, 0);
}

static void
test_setup_resume(void **state)
{
	FX;
	struct vhacc_virtq_state st;

	fx_init_idx(f, 16, F_V1, false, 100);
	tx_one(f, 3);
	vhacc_virtq_get_state(f->q, &st);
	assert_int_equal(st.last_avail_idx, 103);
	assert_int_equal(st.last_used_idx, 103);
	f->conf.last_avail_idx = st.last_avail_idx;
	f->conf.last_used_idx = st.last_used_idx;
	assert_int_equal(vhacc_virtq_setup(f->q, &f->conf), 0);
	assert_int_equal(f->q->stats.packets, 3);
	tx_one(f, 2);
	check_state(f, 105, 105);
	assert_int_equal(f->q->stats.packets, 5);
}

/* ------------------------------------------------------------------------ */
/* One-copy transfer: guest A's TX ring -> guest B's RX ring                 */

/* f is A (TX); b is B (RX), set up with the same size and start. */
static void
xfer_init(struct fx *f, struct fx *b, uint16_t size, uint64_t fa, uint64_t fb, uint16_t start)
{
	fx_init_idx(f, size, fa, false, start);
	memset(b, 0, sizeof(*b));
	fx_init_idx(b, size, fb, true, start);
}

/* Frames of one, several (header split) and more than eight descriptors arrive intact. */
static void
test_xfer_frames(void **state)
{
	FX;
	struct fx b;
	static const uint32_t l2[] = {5, 10, 997};
	uint32_t l3[12] = {12};
	uint8_t f1[60], f2[1000], f3[1100], out[2048];
	struct sim_used u[16];
	uint16_t h[3], consumed, pos = 0, i;

	xfer_init(f, &b, 16, F_V1, F_V1, 0);
	for (i = 1; i < 12; i++)
		l3[i] = 100;
	fill_pattern(f1, sizeof(f1), 41);
	fill_pattern(f2, sizeof(f2), 42);
	fill_pattern(f3, sizeof(f3), 43);
	h[0] = tx_post(&f->g, 12, f1, sizeof(f1), NULL, 0, false);
	h[1] = tx_post(&f->g, 12, f2, sizeof(f2), l2, RTE_DIM(l2), false);
	h[2] = tx_post(&f->g, 12, f3, sizeof(f3), l3, RTE_DIM(l3), false);
	sim_publish(&f->g);
	for (i = 0; i < 4; i++)
		rx_post1(&b.g, 2048);
	sim_publish(&b.g);

	assert_int_equal(xfer(f, &b, 32, &consumed), 3);
	assert_int_equal(consumed, 3);
	assert_int_equal(sim_reap(&b.g, u, 16), 3);
	assert_int_equal(rx_collect(&b.g, u, 3, &pos, 12, 1, out), sizeof(f1));
	assert_memory_equal(out, f1, sizeof(f1));
	assert_int_equal(rx_collect(&b.g, u, 3, &pos, 12, 1, out), sizeof(f2));
	assert_memory_equal(out, f2, sizeof(f2));
	assert_int_equal(rx_collect(&b.g, u, 3, &pos, 12, 1, out), sizeof(f3));
	assert_memory_equal(out, f3, sizeof(f3));
	assert_int_equal(sim_reap(&f->g, u, 16), 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(u[i].id, h[i]);
		assert_int_equal(u[i].len, 0);
	}
	check_state(f, 3, 3);
	check_state(&b, 3, 3);
	assert_int_equal(f->q->stats.packets, 3);
	assert_int_equal(b.q->stats.packets, 3);
	assert_int_equal(b.q->stats.bytes, sizeof(f1) + sizeof(f2) + sizeof(f3));
	assert_int_equal(efd_count(&b), 1);
	assert_int_equal(efd_count(f), 1);
	fx_fini(&b);
}

/* Mergeable buffers on the receiving side; a frame waits until B posted enough. */
static void
test_xfer_mergeable_wait(void **state)
{
	FX;
	struct fx b;
	uint8_t frame[3000], out[4096];
	struct sim_used u[8];
	uint16_t consumed, pos = 0;

	xfer_init(f, &b, 16, F_V1, F_V1 | F_MRG, 0);
	fill_pattern(frame, sizeof(frame), 44);
	tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
	sim_publish(&f->g);

	/* no buffer at all, then too few: nothing consumed on either side */
	assert_int_equal(xfer(f, &b, 32, &consumed), 0);
	assert_int_equal(consumed, 0);
	rx_post1(&b.g, 1024);
	sim_publish(&b.g);
	assert_int_equal(xfer(f, &b, 32, &consumed), 0);
	assert_int_equal(consumed, 0);
	check_state(f, 0, 0);
	check_state(&b, 0, 0);
	assert_int_equal(b.q->stats.drop_too_big, 0);
	assert_true(b.q->stats.rx_no_buffers >= 2);
	assert_true(vhacc_virtq_pending(f->q));

	rx_post1(&b.g, 1024);
	rx_post1(&b.g, 1024);
	sim_publish(&b.g);
	assert_int_equal(xfer(f, &b, 32, &consumed), 1);
	assert_int_equal(consumed, 1);
	assert_int_equal(sim_reap(&b.g, u, 8), 3);
	assert_int_equal(rx_collect(&b.g, u, 3, &pos, 12, 3, out), sizeof(frame));
	assert_memory_equal(out, frame, sizeof(frame));
	check_state(f, 1, 1);
	check_state(&b, 3, 3);
	assert_false(vhacc_virtq_pending(f->q));
	fx_fini(&b);
}

/* A hostile TX chain breaks A only; B receives nothing, stays healthy. */
static void
test_xfer_src_broken(void **state)
{
	FX;
	struct fx b;
	uint8_t frame[100];
	struct sim_seg seg = {.gpa = SIM_R2_GPA + SIM_R2_SIZE + 0x1000, .len = 112};
	uint16_t consumed;

	xfer_init(f, &b, 16, F_V1, F_V1, 0);
	fill_pattern(frame, sizeof(frame), 47);
	tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
	sim_add(&f->g, &seg, 1, false, false);
	sim_publish(&f->g);
	rx_post1(&b.g, 2048);
	rx_post1(&b.g, 2048);
	sim_publish(&b.g);

	assert_int_equal(xfer(f, &b, 32, &consumed), 1); /* the good frame before it */
	assert_int_equal(consumed, 1);
	assert_true(f->q->broken);
	assert_int_equal(f->q->broken_reason, VHACC_BROKEN_BAD_ADDR);
	assert_int_equal(f->q->stats.broken, 1);
	assert_false(b.q->broken);
	check_state(&b, 1, 1);
	assert_int_equal(xfer(f, &b, 32, &consumed), 0);
	assert_int_equal(consumed, 0);
	assert_int_equal(f->q->stats.broken, 1);
	fx_fini(&b);
}

/* A frame over the sender's MTU is dropped at the source; B's buffers are untouched. */
static void
test_xfer_over_mtu(void **state)
{
	FX;
	struct fx b;
	uint8_t frame[1600];
	uint16_t consumed;

	xfer_init(f, &b, 16, F_V1, F_V1, 0);
	f->conf.max_frame = 1518;
	assert_int_equal(vhacc_virtq_setup(f->q, &f->conf), 0);
	fill_pattern(frame, sizeof(frame), 48);
	tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
	sim_publish(&f->g);
	rx_post1(&b.g, 2048);
	sim_publish(&b.g);

	assert_int_equal(xfer(f, &b, 32, &consumed), 0);
	assert_int_equal(consumed, 1);
	assert_int_equal(f->q->stats.drop_over_mtu, 1);
	check_state(f, 1, 1);
	check_state(&b, 0, 0);
	fx_fini(&b);
}

/* Both rings across the 16-bit index wrap, with dirty logging on B. */
static void
test_xfer_wrap_log(void **state)
{
	FX;
	struct fx b;
	uint8_t frame[200], out[2048];
	struct sim_used u[8];
	uint16_t consumed, i, pos;

	xfer_init(f, &b, 8, F_V1, F_V1 | F_LOG, 65530);
	for (i = 0; i < 20; i++) {
		fill_pattern(frame, sizeof(frame), 50 + i);
		tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
		sim_publish(&f->g);
		rx_post1(&b.g, 2048);
		sim_publish(&b.g);
		log_reset();
		assert_int_equal(xfer(f, &b, 32, &consumed), 1);
		assert_int_equal(consumed, 1);
		assert_true(log_nw >= 1); /* the written buffer */
		assert_true(log_nu >= 2); /* the used entry and used->idx */
		pos = 0;
		assert_int_equal(sim_reap(&b.g, u, 8), 1);
		assert_int_equal(rx_collect(&b.g, u, 1, &pos, 12, 1, out), sizeof(frame));
		assert_memory_equal(out, frame, sizeof(frame));
		assert_int_equal(sim_reap(&f->g, u, 8), 1);
	}
	check_state(f, (uint16_t)(65530 + 20), (uint16_t)(65530 + 20));
	check_state(&b, (uint16_t)(65530 + 20), (uint16_t)(65530 + 20));
	fx_fini(&b);
}

#define F_CSUM  FEAT(VIRTIO_NET_F_CSUM)
#define F_GCSUM FEAT(VIRTIO_NET_F_GUEST_CSUM)
#define F_HTSO4 FEAT(VIRTIO_NET_F_HOST_TSO4)
#define F_GTSO4 FEAT(VIRTIO_NET_F_GUEST_TSO4)

/*
 * A 12-byte virtio-net header asking for TSO (IPv4, gso_size 1448, hdr_len
 * the Linux hint 128) and a TCP/IPv4 frame of `payload` bytes after it;
 * ip_len_delta spoils the IP total length. Returns header + frame bytes.
 */
static uint32_t
tso_frame(uint8_t *b, uint32_t payload, int ip_len_delta)
{
	struct virtio_net_hdr_mrg_rxbuf h = {
		.hdr = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
			.gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
			.hdr_len = 128,
			.gso_size = 1448,
			.csum_start = 34,
			.csum_offset = 16},
	};
	uint8_t *e = b + sizeof(h), *ip = e + 14, *tcp = ip + 20;
	uint32_t tot = 20 + 20 + payload, i;

	memcpy(b, &h, sizeof(h));
	memset(e, 0, 54);
	memcpy(e, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((tot + ip_len_delta) >> 8);
	ip[3] = (uint8_t)(tot + ip_len_delta);
	ip[8] = 64;
	ip[9] = 6; /* TCP */
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;
	for (i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)(i * 13 + 5);
	return (uint32_t)sizeof(h) + 14 + tot;
}

/*
 * Offloads between guests: a TSO frame from a guest with CSUM/HOST_TSO4
 * reaches a guest with GUEST_CSUM/GUEST_TSO4 in one copy, its header checked
 * and passed on; a header that does not describe its frame is dropped and
 * counted; without GUEST_TSO4 on the receiver the transfer is not used.
 */
static void
test_xfer_offload(void **state)
{
	FX;
	struct fx b;
	static uint8_t in[4096], got[4096];
	struct virtio_net_hdr_mrg_rxbuf rh;
	struct sim_used u[8];
	uint16_t consumed;
	uint32_t len, bad_len;

	xfer_init(f, &b, 16, F_V1 | F_CSUM | F_HTSO4, F_V1 | F_MRG | F_GCSUM | F_GTSO4, 0);
	assert_true(vhacc_virtq_xfer_possible(f->q, b.q));
	b.q->features &= ~F_GTSO4;
	assert_false(vhacc_virtq_xfer_possible(f->q, b.q));
	b.q->features |= F_GTSO4;

	bad_len = tso_frame(in, 3000, -10);
	tx_post(&f->g, 0, in, bad_len, NULL, 0, false);
	len = tso_frame(in, 3000, 0);
	tx_post(&f->g, 0, in, len, NULL, 0, false);
	sim_publish(&f->g);
	rx_post1(&b.g, 4096);
	rx_post1(&b.g, 4096);
	sim_publish(&b.g);

	assert_int_equal(xfer(f, &b, 32, &consumed), 1);
	assert_int_equal(consumed, 2);
	assert_int_equal(f->q->stats.drop_bad_hdr, 1);
	assert_int_equal(sim_reap(&b.g, u, 8), 1);
	assert_int_equal(u[0].len, len);
	sim_chain_read(&b.g, u[0].id, u[0].len, got);
	memcpy(&rh, got, sizeof(rh));
	assert_int_equal(rh.hdr.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(rh.hdr.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(rh.hdr.gso_size, 1448);
	assert_int_equal(rh.hdr.hdr_len, 54); /* parsed, not the sender's hint */
	assert_int_equal(rh.hdr.csum_start, 34);
	assert_int_equal(rh.hdr.csum_offset, 16);
	assert_int_equal(rh.num_buffers, 1);
	assert_memory_equal(got + sizeof(rh), in + sizeof(rh), len - sizeof(rh));
	check_state(f, 2, 2);
	check_state(&b, 1, 1);
	fx_fini(&b);
}

/* The receiver's MTU holds on the one-copy path; a TSO frame counts by its segments. */
static void
test_xfer_dst_mtu(void **state)
{
	FX;
	struct fx b;
	static uint8_t in[4096], plain[2000], out[4096];
	struct sim_used u[8];
	uint16_t consumed, pos = 0;
	uint32_t len;

	xfer_init(f, &b, 16, F_V1 | F_CSUM | F_HTSO4, F_V1 | F_MRG | F_GCSUM | F_GTSO4, 0);
	b.conf.max_frame = 1518;
	assert_int_equal(vhacc_virtq_setup(b.q, &b.conf), 0);
	fill_pattern(plain, sizeof(plain), 49);
	tx_post(&f->g, 12, plain, sizeof(plain), NULL, 0, false);
	len = tso_frame(in, 3000, 0);
	tx_post(&f->g, 0, in, len, NULL, 0, false);
	tx_post(&f->g, 12, plain, 1500, NULL, 0, false);
	sim_publish(&f->g);
	rx_post1(&b.g, 4096);
	rx_post1(&b.g, 4096);
	sim_publish(&b.g);

	assert_int_equal(xfer(f, &b, 32, &consumed), 2);
	assert_int_equal(consumed, 3);
	assert_int_equal(b.q->stats.drop_over_mtu, 1);
	assert_int_equal(f->q->stats.packets, 3);
	assert_int_equal(b.q->stats.packets, 2);
	assert_int_equal(sim_reap(&b.g, u, 8), 2);
	assert_int_equal(u[0].len, len); /* 3054-byte TSO frame: 1514-byte segments */
	pos = 1;
	assert_int_equal(rx_collect(&b.g, u, 2, &pos, 12, 1, out), 1500);
	assert_memory_equal(out, plain, 1500);
	fx_fini(&b);
}

static int
group_setup(void **state)
{
	(void)state;
	return sim_group_setup("vhacc-ut-virtq");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tx_single_desc),
		T(test_tx_multi_desc),
		T(test_tx_chain_len_eq_size),
		T(test_tx_indirect),
		T(test_tx_large_frame),
		T(test_tx_region_crossing),
		T(test_tx_hdr_len),
		T(test_tx_state_and_ids),
		T(test_tx_burst_limit),
		T(test_tx_pool_exhaustion),
		T(test_rx_single_buffer),
		T(test_rx_mergeable),
		T(test_rx_mergeable_waits),
		T(test_rx_nonmergeable_chain),
		T(test_rx_region_crossing),
		T(test_rx_too_big),
		T(test_rx_mrg_never_fits),
		T(test_rx_runt),
		T(test_rx_no_buffers),
		T(test_rx_partial),
		T(test_max_frame_tx),
		T(test_max_frame_rx),
		T(test_tx_oversize_frame),
		T(test_in_order_tx),
		T(test_in_order_rx),
		T(test_notify_event_idx),
		T(test_notify_no_interrupt),
		T(test_notify_rx),
		T(test_notify_no_callfd),
		T(test_event_idx_avail_event),
		T(test_log_rx),
		T(test_log_tx),
		T(test_log_off),
		T(test_wrap_tx),
		T(test_wrap_rx),
		H(loop2),
		H(self_loop),
		H(head_oob),
		H(head_ffff),
		H(next_oob),
		H(addr_outside),
		H(addr_between),
		H(addr_partly_outside),
		H(addr_partly_outside_r2),
		H(zero_len),
		H(overflow),
		H(ind_nested),
		H(ind_next),
		H(ind_len_odd),
		H(ind_len_zero),
		H(ind_outside),
		H(ind_partly_outside),
		H(ind_too_many),
		H(ind_loop),
		H(ind_next_oob),
		H(tx_write_desc),
		H(tx_write_desc_ind),
		H(tx_hdr_only),
		H(tx_hdr_only_split),
		H(tx_shorter_than_hdr),
		H(avail_idx),
		H(avail_idx_back),
		H(rx_read_desc),
		H(rx_partly_outside),
		H(rx_loop),
		H(rx_zero_len),
		H(rx_mrg_second_bad),
		H(rx_avail_idx),
		T(test_broken_reason_str),
		T(test_translate),
		T(test_setup_einval),
		T(test_setup_resume),
		T(test_state_ring_check),
		T(test_xfer_frames),
		T(test_xfer_mergeable_wait),
		T(test_xfer_too_big),
		T(test_xfer_src_broken),
		T(test_xfer_over_mtu),
		T(test_xfer_wrap_log),
		T(test_xfer_offload),
		T(test_xfer_dst_mtu),
	};

	return cmocka_run_group_tests_name("virtq_split", tests, group_setup, group_teardown);
}
