/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the packed-virtqueue engine (lib/virtq/vhacc_virtq.h with
 * conf.packed), driven by a simulated packed-ring driver that keeps its ring,
 * event areas and buffers in "guest memory" allocated here. Under ASan every byte of guest memory that is not a
 * ring or a posted buffer is poisoned, so a stray engine access is reported.
 * The cases that the split engine shares are in sim_cases.h; here the packed
 * ring's own.
 */

#define SIM_PACKED 1

#include "sim_common.h"

#define F_PACKED FEAT(VIRTIO_F_RING_PACKED)

/* ------------------------------------------------------------------------ */
/* Simulated guest: a packed-ring driver                                      */

#define SIM_MAX_SIZE 512

#define F_AVAIL ((uint16_t)(1u << VRING_PACKED_DESC_F_AVAIL))
#define F_USED  ((uint16_t)(1u << VRING_PACKED_DESC_F_USED))
/* AVAIL/USED bits of a descriptor the driver makes available in lap `w` */
#define AV(w) ((w) ? F_AVAIL : F_USED)
/* ... and of one the device has used in lap `w` */
#define US(w) ((w) ? (F_AVAIL | F_USED) : 0)

struct sim_chain {
	bool busy;
	bool write;
	uint16_t nring; /* ring descriptors taken by this chain */
	uint16_t nseg;
	struct sim_seg seg[SIM_MAX_SEGS];
	uint32_t total;
};

struct sim_guest {
	uint8_t *hva[SIM_NREG];
	struct vhacc_guest_mem mem;
	uint64_t brk; /* next free gpa in region 0 */
	uint16_t size;
	bool in_order;
	bool event_idx;
	struct vring_packed_desc *desc;
	struct vring_packed_desc_event *drv; /* driver event suppression (driver writes) */
	struct vring_packed_desc_event *dev; /* device event suppression (device writes) */
	uint64_t desc_gpa, drv_gpa, dev_gpa;
	uint16_t next_avail; /* driver: next descriptor to fill */
	bool avail_wrap;
	uint16_t next_used; /* driver: next descriptor to reap */
	bool used_wrap;
	uint16_t num_free; /* ring descriptors not outstanding */
	uint16_t free_ids[SIM_MAX_SIZE];
	uint16_t nfree_ids;
	struct sim_chain *chain; /* indexed by buffer id */
	/* heads filled but not yet made available (sim_publish) */
	uint16_t pend_pos[SIM_MAX_SIZE];
	uint16_t pend_flags[SIM_MAX_SIZE];
	uint16_t npend;
	uint16_t fifo[SIM_MAX_SIZE]; /* IN_ORDER: ids in submission order */
	unsigned int used_descs;     /* used descriptors read by sim_reap */
	uint32_t fifo_head, fifo_tail;
	bool id_in_all; /* write the buffer id in every descriptor, not just the last */
};

#include "sim_mem.h"

static void
sim_adv(const struct sim_guest *g, uint16_t *pos, bool *wrap, uint16_t k)
{
	*pos += k;
	if (*pos >= g->size) {
		*pos -= g->size;
		*wrap = !*wrap;
	}
}

/* Ring state at (start, wrap): every descriptor looks used by the device in its last lap. */
static void
sim_reset_rings(struct sim_guest *g, uint16_t start, bool wrap)
{
	uint16_t i;

	memset(g->desc, 0, 16u * g->size);
	for (i = 0; i < g->size; i++)
		g->desc[i].flags = i < start ? US(wrap) : US(!wrap);
	memset(g->drv, 0, sizeof(*g->drv));
	memset(g->dev, 0, sizeof(*g->dev));
	memset(g->chain, 0, sizeof(*g->chain) * g->size);
	g->next_avail = start;
	g->avail_wrap = wrap;
	g->next_used = start;
	g->used_wrap = wrap;
	g->num_free = g->size;
	g->nfree_ids = 0;
	for (i = g->size; i > 0; i--)
		g->free_ids[g->nfree_ids++] = i - 1;
	g->npend = 0;
	g->fifo_head = 0;
	g->fifo_tail = 0;
}

static void
sim_init(struct sim_guest *g, uint16_t size, uint64_t features, uint16_t start, bool wrap)
{
	static const uint64_t gpa[SIM_NREG] = {SIM_R0_GPA, SIM_R1_GPA, SIM_R2_GPA};
	static const uint64_t sz[SIM_NREG] = {SIM_R0_SIZE, SIM_R1_SIZE, SIM_R2_SIZE};
	uint32_t i;

	assert_true(size >= 1 && size <= SIM_MAX_SIZE && start < size);
	memset(g, 0, sizeof(*g));
	g->size = size;
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

	/* ring and the two event areas, each followed by a poisoned gap */
	g->desc_gpa = SIM_R0_GPA + 0x1000;
	g->drv_gpa = round_up(g->desc_gpa + 16u * size, 64) + 64;
	g->dev_gpa = g->drv_gpa + 128;
	g->brk = round_up(g->dev_gpa + 4, 4096) + 4096;
	sim_unpoison(g, g->desc_gpa, 16u * size);
	sim_unpoison(g, g->drv_gpa, 4);
	sim_unpoison(g, g->dev_gpa, 4);
	g->desc = sim_hva(g, g->desc_gpa, 16u * size);
	g->drv = sim_hva(g, g->drv_gpa, 4);
	g->dev = sim_hva(g, g->dev_gpa, 4);
	g->chain = calloc(size, sizeof(*g->chain));
	assert_non_null(g->chain);
	sim_reset_rings(g, start, wrap);
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
	free(g->chain);
	memset(g, 0, sizeof(*g));
}

static uint16_t
sim_free_descs(const struct sim_guest *g)
{
	return g->num_free;
}

/* Fill one ring descriptor; the head's flags wait for sim_publish(). */
static void
sim_put_desc(struct sim_guest *g, uint16_t pos, uint64_t addr, uint32_t len, uint16_t id,
	uint16_t flags, bool head)
{
	g->desc[pos].addr = addr;
	g->desc[pos].len = len;
	g->desc[pos].id = id;
	if (head) {
		assert_true(g->npend < SIM_MAX_SIZE);
		g->pend_pos[g->npend] = pos;
		g->pend_flags[g->npend] = flags;
		g->npend++;
	} else {
		__atomic_store_n(&g->desc[pos].flags, flags, __ATOMIC_RELAXED);
	}
}

/*
 * Add a chain (direct or through one indirect table) at the driver's avail
 * position, not yet visible to the device. Returns its buffer id.
 */
static uint16_t
sim_add(struct sim_guest *g, const struct sim_seg *seg, uint16_t n, bool write, bool indirect)
{
	uint16_t base = write ? VRING_DESC_F_WRITE : 0;
	uint16_t head = g->next_avail, nring = indirect ? 1 : n, id, i;
	struct sim_chain *c;

	assert_true(n >= 1 && n <= SIM_MAX_SEGS);
	assert_true(nring <= g->num_free);
	if (g->in_order) {
		id = head; /* as DPDK's in-order driver: the id is the head's position */
	} else {
		assert_true(g->nfree_ids > 0);
		id = g->free_ids[--g->nfree_ids];
	}
	c = &g->chain[id];
	assert_false(c->busy);
	if (indirect) {
		uint64_t tgpa = sim_alloc(g, 16u * n);
		struct vring_packed_desc *t = sim_hva(g, tgpa, 16u * n);

		for (i = 0; i < n; i++) {
			t[i].addr = seg[i].gpa;
			t[i].len = seg[i].len;
			t[i].flags = base;
			t[i].id = 0xdead; /* reserved in a table */
		}
		sim_put_desc(g, head, tgpa, 16u * n, id, VRING_DESC_F_INDIRECT | AV(g->avail_wrap),
			true);
		sim_adv(g, &g->next_avail, &g->avail_wrap, 1);
	} else {
		for (i = 0; i < n; i++) {
			bool last = i + 1 == n;
			uint16_t fl = base | (last ? 0 : VRING_DESC_F_NEXT) | AV(g->avail_wrap);

			/* the id belongs in the last descriptor; the others carry junk */
			sim_put_desc(g, g->next_avail, seg[i].gpa, seg[i].len,
				last || g->id_in_all ? id : (uint16_t)(0xff00 + i), fl, i == 0);
			sim_adv(g, &g->next_avail, &g->avail_wrap, 1);
		}
	}
	g->num_free -= nring;
	c->busy = true;
	c->write = write;
	c->nring = nring;
	c->nseg = n;
	c->total = 0;
	for (i = 0; i < n; i++) {
		c->seg[i] = seg[i];
		c->total += seg[i].len;
	}
	if (g->in_order)
		g->fifo[g->fifo_tail++ % SIM_MAX_SIZE] = id;
	return id;
}

/* Make the added chains available: the heads' flags, in order, with release. */
static void
sim_publish(struct sim_guest *g)
{
	uint16_t i;

	for (i = 0; i < g->npend; i++)
		__atomic_store_n(
			&g->desc[g->pend_pos[i]].flags, g->pend_flags[i], __ATOMIC_RELEASE);
	g->npend = 0;
}

static void
sim_free_chain(struct sim_guest *g, uint16_t id)
{
	struct sim_chain *c = &g->chain[id];

	assert_true(c->busy);
	c->busy = false;
	g->num_free += c->nring;
	if (!g->in_order)
		g->free_ids[g->nfree_ids++] = id;
}

/*
 * Reap used descriptors. With IN_ORDER the device may write one used
 * descriptor for a batch (the id of its last buffer); the driver then frees
 * every buffer up to that one. RX buffers must each have their own.
 */
static uint16_t
sim_reap(struct sim_guest *g, struct sim_used *out, uint16_t max)
{
	uint16_t n = 0;

	for (;;) {
		struct vring_packed_desc *d = &g->desc[g->next_used];
		uint16_t fl = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE), id;

		if (!!(fl & F_AVAIL) != g->used_wrap || !!(fl & F_USED) != g->used_wrap)
			break;
		id = d->id;
		assert_true(id < g->size);
		g->used_descs++;
		if (g->in_order) {
			uint16_t cur;

			do {
				assert_true(g->fifo_head < g->fifo_tail);
				cur = g->fifo[g->fifo_head++ % SIM_MAX_SIZE];
				assert_true(g->chain[cur].busy);
				assert_true(n < max);
				out[n].id = cur;
				out[n].len = cur == id ? d->len : 0;
				if (cur != id)
					assert_false(g->chain[cur].write);
				if (g->chain[cur].write && d->len > 0)
					assert_true(cur != id || (fl & VRING_DESC_F_WRITE));
				sim_adv(g, &g->next_used, &g->used_wrap, g->chain[cur].nring);
				sim_free_chain(g, cur);
				n++;
			} while (cur != id);
		} else {
			assert_true(g->chain[id].busy);
			assert_true(n < max);
			out[n].id = id;
			out[n].len = d->len;
			if (d->len > 0)
				assert_true(fl & VRING_DESC_F_WRITE);
			sim_adv(g, &g->next_used, &g->used_wrap, g->chain[id].nring);
			sim_free_chain(g, id);
			n++;
		}
	}
	return n;
}

#include "sim_data.h"

/* ------------------------------------------------------------------------ */
/* Fixture                                                                   */

static uint16_t
enc(uint16_t pos, bool wrap)
{
	return (uint16_t)(pos | (wrap ? VHACC_VIRTQ_PACKED_WRAP : 0));
}

/* A queue of `size` starting at ring position start with wrap counters `wrap`. */
static void
fx_init_at(struct fx *f, uint16_t size, uint64_t features, bool is_rx, uint16_t start, bool wrap)
{
	fx_fini(f);
	sim_init(&f->g, size, features, start, wrap);
	f->q = calloc(1, vhacc_virtq_alloc_size(size));
	assert_non_null(f->q);
	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(f->efd >= 0);
	f->conf = (struct vhacc_virtq_conf){
		.packed = true,
		.desc_packed = f->g.desc,
		.driver_event = f->g.drv,
		.device_event = f->g.dev,
		.size = size,
		.last_avail_idx = enc(start, wrap),
		.last_used_idx = enc(start, wrap),
		.features = features | F_PACKED,
		.mem = &f->g.mem,
		.callfd = f->efd,
		.vid = TEST_VID,
		.vring_idx = is_rx ? 0 : 1,
		.is_rx = is_rx,
	};
	log_reset();
	assert_int_equal(vhacc_virtq_setup(f->q, &f->conf), 0);
	assert_false(f->q->broken);
	assert_true(f->q->packed);
	/* vhacc polls: the driver is asked not to notify */
	assert_int_equal(f->g.dev->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
	log_reset();
}

static void
fx_init(struct fx *f, uint16_t size, uint64_t features, bool is_rx)
{
	fx_init_at(f, size, features, is_rx, 0, true);
}

/* The engine's position equals the driver's: everything posted was taken and reaped. */
static void
check_synced(struct fx *f)
{
	struct vhacc_virtq_state st;

	vhacc_virtq_get_state(f->q, &st);
	assert_int_equal(st.last_avail_idx, f->g.next_avail);
	assert_int_equal(st.avail_wrap, f->g.avail_wrap);
	assert_int_equal(st.last_used_idx, f->g.next_used);
	assert_int_equal(st.used_wrap, f->g.used_wrap);
	assert_int_equal(held(f), 0);
}

static void
check_pos(struct fx *f, uint16_t avail, bool awrap, uint16_t used, bool uwrap)
{
	struct vhacc_virtq_state st;

	vhacc_virtq_get_state(f->q, &st);
	assert_int_equal(st.last_avail_idx, avail);
	assert_int_equal(st.avail_wrap, awrap);
	assert_int_equal(st.last_used_idx, used);
	assert_int_equal(st.used_wrap, uwrap);
	assert_int_equal(held(f), 0);
}

/* Hooks of the shared cases (sim_cases.h); fx_init, fx_init_at and check_synced above */

/* descriptors taken and used since setup: the position moved by as many, laps flip wrap */
static void
check_taken(struct fx *f, uint16_t chains, uint16_t descs)
{
	uint16_t start = f->conf.last_avail_idx & ~VHACC_VIRTQ_PACKED_WRAP;
	uint32_t end = (uint32_t)start + descs;
	uint16_t pos = (uint16_t)(end % f->g.size);
	bool wrap = ((f->conf.last_avail_idx & VHACC_VIRTQ_PACKED_WRAP) != 0) ^
		    (((end / f->g.size) & 1) != 0);

	(void)chains;
	check_pos(f, pos, wrap, pos, wrap);
}

static uint16_t
sim_used_pos(const struct sim_guest *g)
{
	return g->next_used;
}

/*
 * Every used descriptor the driver reaped (from ring position pos) must be
 * logged, by guest physical address (rte_vhost_log_used_vring's base is the
 * frontend's used area, for QEMU the device event area of a packed ring).
 */
static void
check_used_logged(struct fx *f, uint16_t pos, const struct sim_used *u, uint16_t nu)
{
	bool wrap = false;
	uint16_t i;

	for (i = 0; i < nu; i++) {
		if (!log_covered(log_w, log_nw, TEST_VID, -1, f->g.desc_gpa + 16u * pos, 16))
			fail_msg("used descriptor %u not logged", pos);
		sim_adv(&f->g, &pos, &wrap, f->g.chain[u[i].id].nring);
	}
	assert_int_equal(log_nu, 0);
	for (i = 0; i < RTE_MIN(log_nw, LOG_MAX); i++)
		assert_true(in_guest_mem(&f->g, log_w[i].addr, log_w[i].len));
}

static void
drv_event(struct fx *f, uint16_t flags, uint16_t off, bool wrap)
{
	f->g.drv->off_wrap = enc(off, wrap);
	f->g.drv->flags = flags;
}

#include "sim_cases.h"

/* ------------------------------------------------------------------------ */
/* TX (guest -> device)                                                      */

/* Chains that cross the end of the ring: the index wraps to 0 and the wrap counter flips. */
static void
test_tx_chain_cross_end(void **state)
{
	FX;
	static const uint32_t l3[] = {12, 300, 200};
	static const uint32_t l5[] = {4, 8, 100, 100, 100};
	uint8_t f1[500], f2[300];
	struct rte_mbuf *m[4];
	struct sim_used u[8];
	uint16_t round, id;

	fx_init_at(f, 8, F_V1, false, 6, true);
	for (round = 0; round < 10; round++) {
		fill_pattern(f1, sizeof(f1), 200 + round);
		fill_pattern(f2, sizeof(f2), 220 + round);
		id = tx_post(&f->g, 12, f1, sizeof(f1), l3, RTE_DIM(l3), false);
		tx_post(&f->g, 12, f2, sizeof(f2), l5, RTE_DIM(l5), false);
		sim_publish(&f->g);
		assert_int_equal(deq(f, m, 4), 2);
		assert_false(f->q->broken);
		check_mbuf(m[0], f1, sizeof(f1));
		check_mbuf(m[1], f2, sizeof(f2));
		free_pkts(m, 2);
		assert_int_equal(sim_reap(&f->g, u, 8), 2);
		assert_int_equal(u[0].id, id);
		check_synced(f);
	}
	assert_int_equal(f->q->stats.packets, 20);
}

/*
 * DPDK's virtio driver leaves VRING_DESC_F_WRITE on the entries of its packed
 * indirect TX tables (the header entry keeps it): accepted, the device only
 * reads them. In the ring itself WRITE in a TX chain is refused (hostile cases).
 */
static void
test_tx_indirect_write_flag(void **state)
{
	FX;
	uint8_t frame[200];
	struct rte_mbuf *m[2];
	struct sim_used u[4];
	struct vring_packed_desc *t;
	uint64_t tg, hg, bg;

	fx_init(f, 8, F_V1 | F_INDIRECT, false);
	fill_pattern(frame, sizeof(frame), 15);
	hg = sim_alloc(&f->g, 12);
	bg = sim_alloc(&f->g, sizeof(frame));
	memset(sim_hva(&f->g, hg, 12), 0, 12);
	sim_write(&f->g, bg, frame, sizeof(frame));
	tg = sim_alloc(&f->g, 32);
	t = sim_hva(&f->g, tg, 32);
	t[0] = (struct vring_packed_desc){
		.addr = hg, .len = 12, .id = 0, .flags = VRING_DESC_F_WRITE};
	t[1] = (struct vring_packed_desc){
		.addr = bg, .len = sizeof(frame), .id = 1, .flags = VRING_DESC_F_WRITE | AV(true)};
	f->g.chain[0] = (struct sim_chain){.busy = true, .nring = 1, .nseg = 1};
	f->g.num_free--;
	f->g.nfree_ids--; /* id 0 is the top of the free stack */
	f->g.desc[0].addr = tg;
	f->g.desc[0].len = 32;
	f->g.desc[0].id = 0;
	__atomic_store_n(&f->g.desc[0].flags, VRING_DESC_F_INDIRECT | AV(true), __ATOMIC_RELEASE);
	sim_adv(&f->g, &f->g.next_avail, &f->g.avail_wrap, 1);
	assert_int_equal(deq(f, m, 2), 1);
	assert_false(f->q->broken);
	check_mbuf(m[0], frame, sizeof(frame));
	rte_pktmbuf_free(m[0]);
	assert_int_equal(sim_reap(&f->g, u, 4), 1);
	assert_int_equal(u[0].id, 0);
	check_synced(f);
}

/* ------------------------------------------------------------------------ */
/* RX (device -> guest)                                                      */

/* An RX chain longer than the packet: the rest is taken (id, count) but not read. */
static void
test_rx_chain_longer(void **state)
{
	FX;
	static const uint32_t l1[] = {12, 100, 2048, 2048, 2048};
	uint8_t f1[80], out[100];
	struct rte_mbuf *p;
	struct sim_used u[8];
	uint16_t pos = 0, id;

	fx_init_at(f, 8, F_V1 | F_MRG, true, 5, true);
	id = rx_post(&f->g, l1, RTE_DIM(l1), false);
	/* poison the buffers the packet does not reach */
	SIM_POISON(sim_hva(&f->g, f->g.chain[id].seg[2].gpa, 2048), 2048);
	sim_publish(&f->g);
	fill_pattern(f1, sizeof(f1), 47);
	p = mk_pkt(f1, sizeof(f1), 2048);
	assert_int_equal(enq(f, &p, 1), 1);
	rte_pktmbuf_free(p);
	assert_int_equal(sim_reap(&f->g, u, 8), 1);
	assert_int_equal(u[0].id, id);
	assert_int_equal(u[0].len, 12 + 80);
	assert_int_equal(rx_collect(&f->g, u, 1, &pos, 12, 1, out), sizeof(f1));
	assert_memory_equal(out, f1, sizeof(f1));
	check_pos(f, 2, false, 2, false);
	check_synced(f);
}

/* non-mergeable: too big for the chain, dropped; the chain stays for the next packet */
static void
test_rx_too_big(void **state)
{
	FX;
	static uint8_t f1[3000], f2[100], out[200];
	struct sim_used u[8];
	uint16_t pos = 0;

	fx_init(f, 8, F_V1, true);
	rx_post1(&f->g, 12 + 1500);
	sim_publish(&f->g);
	enq_big_then_small(f, f1, sizeof(f1), f2, sizeof(f2), 48);
	assert_int_equal(sim_reap(&f->g, u, 8), 1);
	assert_int_equal(u[0].len, 12 + 100);
	assert_int_equal(rx_collect(&f->g, u, 1, &pos, 12, 1, out), sizeof(f2));
	assert_memory_equal(out, f2, sizeof(f2));
	check_synced(f);
}

/* ------------------------------------------------------------------------ */
/* One-copy transfer: guest A's TX ring -> guest B's RX ring (both packed)   */

/* One descriptor, a split header, more than eight descriptors and an indirect table. */
static void
test_xfer_frames(void **state)
{
	FX;
	struct fx b = {0};
	static const uint32_t l2[] = {12, 10, 990};
	uint32_t l3[10] = {12}; /* nine frame segments: more than the transfer records */
	static uint8_t fr[4][1100], out[2048];
	static const uint32_t len[4] = {60, 1000, 990, 500};
	struct sim_used u[16];
	uint16_t h[4], consumed, pos = 0, i;

	fx_init(f, 16, F_V1 | F_INDIRECT, false);
	fx_init(&b, 16, F_V1, true);
	for (i = 1; i < 10; i++)
		l3[i] = 110;
	for (i = 0; i < 4; i++)
		fill_pattern(fr[i], len[i], 140 + i);
	h[0] = tx_post(&f->g, 12, fr[0], len[0], NULL, 0, false);
	h[1] = tx_post(&f->g, 12, fr[1], len[1], l2, RTE_DIM(l2), false);
	h[2] = tx_post(&f->g, 12, fr[2], len[2], l3, RTE_DIM(l3), false);
	h[3] = tx_post(&f->g, 12, fr[3], len[3], NULL, 1, true);
	sim_publish(&f->g);
	for (i = 0; i < 5; i++)
		rx_post1(&b.g, 2048);
	sim_publish(&b.g);

	assert_int_equal(xfer(f, &b, 32, &consumed), 4);
	assert_int_equal(consumed, 4);
	assert_int_equal(sim_reap(&b.g, u, 16), 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(rx_collect(&b.g, u, 4, &pos, 12, 1, out), len[i]);
		assert_memory_equal(out, fr[i], len[i]);
	}
	assert_int_equal(sim_reap(&f->g, u, 16), 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(u[i].id, h[i]);
		assert_int_equal(u[i].len, 0);
	}
	check_synced(f);
	assert_int_equal(f->q->stats.packets, 4);
	assert_int_equal(b.q->stats.packets, 4);
	assert_int_equal(b.q->stats.bytes, len[0] + len[1] + len[2] + len[3]);
	assert_int_equal(efd_count(&b), 1);
	assert_int_equal(efd_count(f), 1);
	assert_false(vhacc_virtq_pending(f->q));
	fx_fini(&b);
}

/* Mergeable 3-buffer frames; both rings start near their end and wrap many times; logged. */
static void
test_xfer_mergeable_wrap(void **state)
{
	FX;
	struct fx b = {0};
	static uint8_t frame[3000], out[4096];
	struct sim_used u[8];
	uint16_t consumed, round, pos, i;

	fx_init_at(f, 8, F_V1 | F_MRG, false, 6, true);
	fx_init_at(&b, 8, F_V1 | F_MRG | F_LOG, true, 5, false);
	for (round = 0; round < 20; round++) {
		fill_pattern(frame, sizeof(frame), 150 + round);
		tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
		sim_publish(&f->g);
		/* two buffers are not enough: nothing taken on either side */
		rx_post1(&b.g, 1024);
		rx_post1(&b.g, 1024);
		sim_publish(&b.g);
		assert_int_equal(xfer(f, &b, 32, &consumed), 0);
		assert_int_equal(consumed, 0);
		assert_true(vhacc_virtq_pending(f->q));
		assert_int_equal(sim_reap(&b.g, u, 8), 0);

		rx_post1(&b.g, 1024);
		sim_publish(&b.g);
		log_reset();
		assert_int_equal(xfer(f, &b, 32, &consumed), 1);
		assert_int_equal(consumed, 1);
		assert_true(log_nw >= 3); /* the three buffers written */
		assert_int_equal(sim_reap(&b.g, u, 8), 3);
		pos = 0;
		assert_int_equal(rx_collect(&b.g, u, 3, &pos, 12, 3, out), sizeof(frame));
		assert_memory_equal(out, frame, sizeof(frame));
		assert_int_equal(sim_reap(&f->g, u, 8), 1);
		check_synced(f);
		check_synced(&b);
	}
	for (i = 0; i < 2; i++)
		assert_false((i ? &b : f)->q->broken);
	assert_int_equal(b.q->stats.packets, 20);
	assert_int_equal(b.q->stats.drop_too_big, 0);
	assert_true(b.q->stats.rx_no_buffers >= 20);
	fx_fini(&b);
}

/* IN_ORDER on the sender: a burst's TX chains come back as one used descriptor. */
static void
test_xfer_in_order(void **state)
{
	FX;
	struct fx b = {0};
	uint8_t frame[200], out[2048];
	struct sim_used u[8];
	uint16_t consumed, round, pos, i;

	fx_init(f, 8, F_V1 | F_IN_ORDER, false);
	fx_init(&b, 8, F_V1 | F_IN_ORDER, true);
	for (round = 0; round < 6; round++) {
		for (i = 0; i < 3; i++) {
			fill_pattern(frame, sizeof(frame), 170 + round * 3 + i);
			tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
			rx_post1(&b.g, 2048);
		}
		sim_publish(&f->g);
		sim_publish(&b.g);
		assert_int_equal(xfer(f, &b, 32, &consumed), 3);
		f->g.used_descs = 0;
		assert_int_equal(sim_reap(&f->g, u, 8), 3);
		assert_int_equal(f->g.used_descs, 1);
		/* RX buffers each keep their own used descriptor: lengths differ */
		b.g.used_descs = 0;
		assert_int_equal(sim_reap(&b.g, u, 8), 3);
		assert_int_equal(b.g.used_descs, 3);
		pos = 0;
		for (i = 0; i < 3; i++) {
			fill_pattern(frame, sizeof(frame), 170 + round * 3 + i);
			assert_int_equal(rx_collect(&b.g, u, 3, &pos, 12, 1, out), sizeof(frame));
			assert_memory_equal(out, frame, sizeof(frame));
		}
		check_synced(f);
		check_synced(&b);
	}
	fx_fini(&b);
}

/* ------------------------------------------------------------------------ */
/* Notifications (driver event suppression)                                  */

static void
test_notify_enable_disable(void **state)
{
	FX;

	fx_init(f, 16, F_V1, false);
	drv_event(f, VRING_PACKED_EVENT_FLAG_ENABLE, 0, false);
	tx_one(f, 2);
	assert_int_equal(efd_count(f), 1); /* one call per burst */
	assert_int_equal(f->q->stats.notifications, 1);
	drv_event(f, VRING_PACKED_EVENT_FLAG_DISABLE, 0, false);
	tx_one(f, 1);
	tx_one(f, 3);
	assert_int_equal(efd_count(f), 0);
	assert_int_equal(f->q->stats.notifications, 1);
	assert_int_equal(f->q->stats.notify_suppressed, 2);
	/* DESC without EVENT_IDX is not negotiated: treated as enabled */
	drv_event(f, VRING_PACKED_EVENT_FLAG_DESC, 15, true);
	tx_one(f, 1);
	assert_int_equal(efd_count(f), 1);
	drv_event(f, VRING_PACKED_EVENT_FLAG_ENABLE, 0, false);
	tx_one(f, 1);
	assert_int_equal(efd_count(f), 1);
	assert_int_equal(f->q->stats.notifications, 3);
}

static void
test_notify_desc_event_idx(void **state)
{
	FX;
	uint16_t i;

	/* 16-entry ring, starting at 0 with wrap 1 */
	fx_init(f, 16, F_V1 | F_EVIDX, false);
	drv_event(f, VRING_PACKED_EVENT_FLAG_DESC, 0, true);
	tx_one(f, 1); /* 0 -> 1 passes descriptor 0 (also: first decision) */
	assert_int_equal(efd_count(f), 1);
	assert_int_equal(f->q->stats.notifications, 1);

	drv_event(f, VRING_PACKED_EVENT_FLAG_DESC, 5, true);
	tx_one(f, 1); /* 1 -> 2 */
	assert_int_equal(efd_count(f), 0);
	tx_one(f, 3); /* 2 -> 5: descriptor 5 not yet used */
	assert_int_equal(efd_count(f), 0);
	assert_int_equal(f->q->stats.notify_suppressed, 2);
	tx_one(f, 1); /* 5 -> 6 passes 5 */
	assert_int_equal(efd_count(f), 1);
	assert_int_equal(f->q->stats.notifications, 2);

	drv_event(f, VRING_PACKED_EVENT_FLAG_DESC, 7, true);
	tx_one(f, 4); /* 6 -> 10 passes 7 in the middle of a burst */
	assert_int_equal(efd_count(f), 1);
	drv_event(f, VRING_PACKED_EVENT_FLAG_DESC, 3, true); /* already passed */
	tx_one(f, 1);
	assert_int_equal(efd_count(f), 0);

	/* event in the next lap (wrap 0): not before the ring end is crossed */
	drv_event(f, VRING_PACKED_EVENT_FLAG_DESC, 1, false);
	tx_one(f, 4); /* 11 -> 15 */
	assert_int_equal(efd_count(f), 0);
	tx_one(f, 2); /* 15 -> 1 (wrap 0): passes 0 only */
	assert_int_equal(efd_count(f), 0);
	tx_one(f, 1); /* 1 -> 2: passes 1 */
	assert_int_equal(efd_count(f), 1);
	assert_int_equal(f->q->stats.notifications, 4);

	/* a multi-descriptor chain covering the event descriptor */
	drv_event(f, VRING_PACKED_EVENT_FLAG_DESC, 4, false);
	{
		static const uint32_t l3[] = {12, 30, 30};
		uint8_t frame[60];
		struct rte_mbuf *m[2];
		struct sim_used u[4];

		fill_pattern(frame, sizeof(frame), 81);
		tx_post(&f->g, 12, frame, sizeof(frame), l3, 3, false); /* descs 2..4 */
		sim_publish(&f->g);
		assert_int_equal(deq(f, m, 2), 1);
		rte_pktmbuf_free(m[0]);
		assert_int_equal(sim_reap(&f->g, u, 4), 1);
	}
	assert_int_equal(efd_count(f), 1);

	/* ENABLE and DISABLE still apply with EVENT_IDX */
	drv_event(f, VRING_PACKED_EVENT_FLAG_DISABLE, 0, false);
	for (i = 0; i < 20; i++)
		tx_one(f, 1);
	assert_int_equal(efd_count(f), 0);
	drv_event(f, VRING_PACKED_EVENT_FLAG_ENABLE, 0, false);
	tx_one(f, 1);
	assert_int_equal(efd_count(f), 1);
	check_synced(f);
}

/* A full lap in one burst: the event descriptor may be anywhere in it. */
static void
test_notify_full_lap(void **state)
{
	FX;

	fx_init_at(f, 8, F_V1 | F_EVIDX, false, 3, false);
	drv_event(f, VRING_PACKED_EVENT_FLAG_DESC, 0, false);
	tx_one(f, 8); /* 3/0 -> 3/1, first decision: always */
	assert_int_equal(efd_count(f), 1);
	drv_event(f, VRING_PACKED_EVENT_FLAG_DESC, 2, false);
	tx_one(f, 8); /* 3/1 -> 3/0 passes (2, wrap 0) last */
	assert_int_equal(efd_count(f), 1);
	drv_event(f, VRING_PACKED_EVENT_FLAG_DESC, 3, false);
	tx_one(f, 8); /* 3/0 -> 3/1 passes (3, wrap 0) first */
	assert_int_equal(efd_count(f), 1);
	tx_one(f, 8); /* 3/1 -> 3/0: (3, wrap 0) comes next lap */
	assert_int_equal(efd_count(f), 0);
	check_pos(f, 3, false, 3, false);
}

/* ------------------------------------------------------------------------ */
/* Dirty logging                                                             */

static void
test_log_setup(void **state)
{
	FX;

	fx_init(f, 8, F_V1 | F_LOG, false);
	log_reset();
	assert_int_equal(vhacc_virtq_setup(f->q, &f->conf), 0);
	/* the device event area written at setup */
	assert_true(log_covered(log_w, log_nw, TEST_VID, -1, f->g.dev_gpa, 4));
}

static void
test_log_tx(void **state)
{
	FX;
	static const uint32_t l3[] = {12, 30, 18};
	uint8_t frame[60];
	struct rte_mbuf *m[4];
	struct sim_used u[8];
	uint16_t pos, nu;

	fx_init_at(f, 8, F_V1 | F_LOG, false, 4, false);
	fill_pattern(frame, sizeof(frame), 94);
	tx_post(&f->g, 12, frame, 48, l3, 3, false);
	tx_post(&f->g, 12, frame, 48, l3, 3, false); /* crosses the end */
	tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
	sim_publish(&f->g);
	pos = f->g.next_used;
	assert_int_equal(deq(f, m, 4), 3);
	free_pkts(m, 3);
	nu = sim_reap(&f->g, u, 8);
	assert_int_equal(nu, 3);
	check_used_logged(f, pos, u, nu);
	assert_int_equal(log_nw, 3); /* the used descriptors only: TX writes no buffer */
}

/* ------------------------------------------------------------------------ */
/* Wrap counters over many laps, odd ring sizes                              */

static void
test_wrap_tx(void **state)
{
	FX;
	static const uint16_t sizes[] = {8, 5, 1, 3};
	static const uint32_t l2[] = {12, 20, 28};
	uint8_t frame[48];
	struct rte_mbuf *m[8];
	struct sim_used u[8];
	unsigned int k;
	uint16_t round, i;

	for (k = 0; k < RTE_DIM(sizes); k++) {
		uint16_t size = sizes[k], per = size >= 5 ? 3 : 1;
		unsigned int laps = 0;
		bool w0;

		fx_init_at(f, size, F_V1 | F_LOG | F_EVIDX, false, size - 1, true);
		w0 = f->g.used_wrap;
		for (round = 0; round < 100; round++) {
			uint16_t pos = f->g.next_used, nu;
			bool was = f->g.used_wrap;

			log_reset();
			drv_event(f, VRING_PACKED_EVENT_FLAG_DESC, pos, f->g.used_wrap);
			for (i = 0; i < per; i++) {
				bool multi = (i & 1) && size >= 5;

				fill_pattern(frame, sizeof(frame), 100 + round * 3 + i);
				tx_post(&f->g, 12, frame, sizeof(frame), multi ? l2 : NULL,
					multi ? RTE_DIM(l2) : 0, false);
			}
			sim_publish(&f->g);
			assert_int_equal(deq(f, m, 8), per);
			for (i = 0; i < per; i++) {
				fill_pattern(frame, sizeof(frame), 100 + round * 3 + i);
				check_mbuf(m[i], frame, sizeof(frame));
			}
			free_pkts(m, per);
			nu = sim_reap(&f->g, u, 8);
			assert_int_equal(nu, per);
			check_used_logged(f, pos, u, nu);
			check_synced(f);
			assert_int_equal(efd_count(f), 1);
			laps += was != f->g.used_wrap;
		}
		assert_true(laps >= 20);
		assert_int_equal(f->q->stats.packets, 100u * per);
		(void)w0;
	}
}

static void
test_wrap_rx(void **state)
{
	FX;
	static const uint16_t sizes[] = {8, 6, 3};
	static uint8_t fr[2][1518], out[1600];
	static const uint32_t len[2] = {1518, 200};
	struct rte_mbuf *p[2];
	struct sim_used u[8];
	unsigned int k;
	uint16_t round, i, pos, nu;

	for (k = 0; k < RTE_DIM(sizes); k++) {
		fx_init_at(f, sizes[k], F_V1 | F_MRG | F_LOG, true, 1, false);
		for (round = 0; round < 60; round++) {
			uint16_t upos = f->g.next_used;

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
			check_used_logged(f, upos, u, nu);
			pos = 0;
			for (i = 0; i < 2; i++) {
				assert_int_equal(
					rx_collect(&f->g, u, nu, &pos, 12, i ? 1 : 2, out), len[i]);
				assert_memory_equal(out, fr[i], len[i]);
			}
			check_synced(f);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* State                                                                     */

/* setup keeps stats, continues from the conf position and wrap counters */
/* A loaded position: checked against the used flags in the ring, then taken. */
static void
test_state_ring_check(void **state)
{
	FX;
	uint8_t frame[100];
	struct rte_mbuf *m[8];
	struct sim_used u[8];
	struct vhacc_virtq_state st, bad;
	uint16_t round, i;

	fx_init(f, 8, F_V1, false);
	vhacc_virtq_get_state(f->q, &st);
	assert_true(vhacc_virtq_state_matches_ring(f->q, &st)); /* a fresh ring */
	for (round = 0; round < 5; round++) {
		for (i = 0; i < 3; i++) {
			fill_pattern(frame, sizeof(frame), 80 + i);
			tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
		}
		sim_publish(&f->g);
		assert_int_equal(deq(f, m, 8), 3);
		free_pkts(m, 3);
		assert_int_equal(sim_reap(&f->g, u, 8), 3);
		vhacc_virtq_get_state(f->q, &st);
		assert_true(vhacc_virtq_state_matches_ring(f->q, &st));
		/* a position behind the device's, or ahead of it, or in the wrong lap */
		bad = st;
		bad.last_used_idx = (uint16_t)((st.last_used_idx + 7) % 8);
		bad.used_wrap = st.last_used_idx == 0 ? !st.used_wrap : st.used_wrap;
		assert_false(vhacc_virtq_state_matches_ring(f->q, &bad));
		bad = st;
		bad.used_wrap = !st.used_wrap;
		assert_false(vhacc_virtq_state_matches_ring(f->q, &bad));
	}
	bad.last_used_idx = 8;
	assert_false(vhacc_virtq_state_matches_ring(f->q, &bad));
	assert_int_equal(vhacc_virtq_set_state(f->q, &bad), -EINVAL);
	assert_int_equal(vhacc_virtq_set_state(f->q, &st), 0);
	check_synced(f);
}

/*
 * A frontend that completed descriptors itself while vhacc was away (QEMU
 * discarding TX from its stale packed position): the state's position wins,
 * the device takes the run the driver still offers, then steps over what
 * the frontend marked used, and goes on with what the driver adds next.
 */
static void
test_skip_frontend_used(void **state)
{
	FX;
	uint8_t frame[64], got[64];
	struct rte_mbuf *m[8];
	struct sim_used u[8];
	struct vhacc_virtq_state st, fe;
	uint16_t ids[4], i, p0;

	fx_init(f, 8, F_V1, false);
	tx_one(f, 5); /* the device at slot 5 of lap 0 (wrap 1) */
	vhacc_virtq_get_state(f->q, &st);
	assert_int_equal(st.last_avail_idx, 5);
	/* vhacc away: the driver adds 4 frames (slots 5, 6, 7 and 0 of lap 1) */
	for (i = 0; i < 4; i++) {
		fill_pattern(frame, sizeof(frame), 100 + i);
		ids[i] = tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
	}
	sim_publish(&f->g);
	/* the frontend pops from slot 0 of lap 1 (wrap 0) and marks it used there */
	p0 = 0;
	f->g.desc[p0].id = ids[3];
	f->g.desc[p0].len = 0;
	__atomic_store_n(&f->g.desc[p0].flags, US(false), __ATOMIC_RELEASE);
	/* the new vhacc: set up at the frontend's position (1, wrap 0), then the state */
	f->conf.last_avail_idx = enc(1, false);
	f->conf.last_used_idx = enc(1, false);
	assert_int_equal(vhacc_virtq_setup(f->q, &f->conf), 0);
	vhacc_virtq_get_state(f->q, &fe);
	/* both look consistent locally: the state is asked first (port_state.c) */
	assert_true(vhacc_virtq_state_matches_ring(f->q, &st));
	assert_int_equal(vhacc_virtq_set_state(f->q, &st), 0);
	assert_int_equal(vhacc_virtq_skip_frontend_used(f->q, &fe), 1);
	/* a later set_state forgets it; asking again finds it again */
	assert_int_equal(vhacc_virtq_set_state(f->q, &st), 0);
	assert_int_equal(f->q->skip_len, 0);
	assert_int_equal(vhacc_virtq_skip_frontend_used(f->q, &fe), 1);
	/* the three the driver still offers, in order */
	assert_int_equal(deq(f, m, 8), 3);
	for (i = 0; i < 3; i++) {
		fill_pattern(frame, sizeof(frame), 100 + i);
		assert_int_equal(rte_pktmbuf_pkt_len(m[i]), sizeof(frame));
		memcpy(got, rte_pktmbuf_mtod(m[i], void *), sizeof(frame));
		assert_memory_equal(got, frame, sizeof(frame));
	}
	free_pkts(m, 3);
	assert_int_equal(f->q->stats.frontend_used, 0);
	/* the next burst steps over slot 0: nothing to take yet, both positions at 1 */
	assert_int_equal(deq(f, m, 8), 0);
	assert_int_equal(f->q->stats.frontend_used, 1);
	check_pos(f, 1, false, 1, false);
	/* the driver reaps the device's three and the frontend's one */
	assert_int_equal(sim_reap(&f->g, u, 8), 4);
	check_synced(f);
	/* and goes on */
	tx_one(f, 6);
	check_synced(f);
	assert_int_equal(f->q->stats.frontend_used, 1);
	assert_false(f->q->broken);

	/* Nothing completed by the frontend: no skip, whatever position it gave. */
	fx_init(f, 8, F_V1, false);
	tx_one(f, 5);
	vhacc_virtq_get_state(f->q, &st);
	for (i = 0; i < 2; i++)
		tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
	sim_publish(&f->g);
	fe = (struct vhacc_virtq_state){
		.last_avail_idx = 0, .last_used_idx = 0, .avail_wrap = true, .used_wrap = true};
	assert_int_equal(vhacc_virtq_skip_frontend_used(f->q, &fe), 0);
	assert_int_equal(f->q->skip_len, 0);
	assert_int_equal(deq(f, m, 8), 2);
	free_pkts(m, 2);
	assert_int_equal(sim_reap(&f->g, u, 8), 2);
	check_synced(f);
	assert_int_equal(f->q->stats.frontend_used, 0);
}

static void
test_setup_resume(void **state)
{
	FX;
	static const uint16_t starts[][2] = {{0, 0}, {0, 1}, {5, 0}, {15, 1}};
	struct vhacc_virtq_state st;
	unsigned int k;

	for (k = 0; k < RTE_DIM(starts); k++) {
		fx_init_at(f, 16, F_V1, false, starts[k][0], starts[k][1] != 0);
		tx_one(f, 3);
		vhacc_virtq_get_state(f->q, &st);
		assert_int_equal(st.last_avail_idx, (starts[k][0] + 3) % 16);
		assert_int_equal(st.avail_wrap, (starts[k][1] != 0) ^ (starts[k][0] + 3 >= 16));
		f->conf.last_avail_idx = enc(st.last_avail_idx, st.avail_wrap);
		f->conf.last_used_idx = enc(st.last_used_idx, st.used_wrap);
		assert_int_equal(vhacc_virtq_setup(f->q, &f->conf), 0);
		assert_int_equal(f->q->stats.packets, 3);
		check_synced(f);
		tx_one(f, 2);
		tx_one(f, 13);
		check_synced(f);
		assert_int_equal(f->q->stats.packets, 18);
	}
}

static void
test_setup_einval(void **state)
{
	FX;
	struct vhacc_virtq_conf c;
	static const uint16_t bad_sizes[] = {0, 32769, 65535};
	unsigned int i;

	fx_init(f, 16, F_V1, false);
	for (i = 0; i < RTE_DIM(bad_sizes); i++) {
		c = f->conf;
		c.size = bad_sizes[i];
		assert_int_equal(vhacc_virtq_setup(f->q, &c), -EINVAL);
	}
	c = f->conf;
	c.desc_packed = NULL;
	assert_int_equal(vhacc_virtq_setup(f->q, &c), -EINVAL);
	c = f->conf;
	c.driver_event = NULL;
	assert_int_equal(vhacc_virtq_setup(f->q, &c), -EINVAL);
	c = f->conf;
	c.device_event = NULL;
	assert_int_equal(vhacc_virtq_setup(f->q, &c), -EINVAL);
	c = f->conf;
	c.last_avail_idx = 16;
	assert_int_equal(vhacc_virtq_setup(f->q, &c), -EINVAL);
	c = f->conf;
	c.last_used_idx = enc(16, true);
	assert_int_equal(vhacc_virtq_setup(f->q, &c), -EINVAL);
	c = f->conf;
	c.size = 12; /* packed rings need not be a power of two */
	assert_int_equal(vhacc_virtq_setup(f->q, &c), 0);
	assert_int_equal(vhacc_virtq_setup(f->q, &f->conf), 0);
	tx_one(f, 2);
}

/* ------------------------------------------------------------------------ */
/* Offloads through the packed paths (the codec itself: test_net_hdr.c)      */

#define F_CSUM       FEAT(VIRTIO_NET_F_CSUM)
#define F_GUEST_CSUM FEAT(VIRTIO_NET_F_GUEST_CSUM)

/* An Ethernet/IPv4/TCP frame with `payload` bytes after the 20-byte TCP header. */
static uint32_t
tcp4_frame(uint8_t *b, uint32_t payload)
{
	uint32_t ip_len = 20 + 20 + payload;

	memset(b, 0, 54);
	memset(b, 0x02, 12);
	b[12] = 0x08; /* IPv4 */
	b[14] = 0x45;
	b[16] = (uint8_t)(ip_len >> 8);
	b[17] = (uint8_t)ip_len;
	b[22] = 64;
	b[23] = 6; /* TCP */
	memcpy(b + 26, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	b[34] = 0x30;
	b[35] = 0x39;
	b[36] = 0x00;
	b[37] = 0x50;
	b[46] = 0x50; /* data offset 5 */
	b[47] = 0x18;
	b[49] = 0xff;
	fill_pattern(b + 54, payload, 160);
	return 14 + ip_len;
}

/* Post a TX chain whose header is h, split at byte `cut` of header + frame, across descriptors. */
static uint16_t
tx_post_hdr(struct sim_guest *g, const struct virtio_net_hdr_mrg_rxbuf *h, const uint8_t *frame,
	uint32_t flen, uint32_t cut)
{
	struct sim_seg seg[2];
	uint8_t buf[2048];
	uint32_t total = 12 + flen;

	assert_true(total <= sizeof(buf) && cut > 0 && cut < total);
	memcpy(buf, h, 12);
	memcpy(buf + 12, frame, flen);
	seg[0].gpa = sim_alloc(g, cut);
	seg[0].len = cut;
	seg[1].gpa = sim_alloc(g, total - cut);
	seg[1].len = total - cut;
	sim_write(g, seg[0].gpa, buf, cut);
	sim_write(g, seg[1].gpa, buf + cut, total - cut);
	return sim_add(g, seg, 2, false, false);
}

static void
test_offload_tx(void **state)
{
	FX;
	struct virtio_net_hdr_mrg_rxbuf h = {
		.hdr = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 16}};
	uint8_t frame[1000];
	struct rte_mbuf *m[4];
	struct sim_used u[8];
	uint32_t flen = tcp4_frame(frame, 500);

	/* CSUM negotiated: the request becomes mbuf offload flags; the header
	 * is split inside csum_start, the chain crosses the ring end */
	fx_init_at(f, 8, F_V1 | F_CSUM, false, 7, true);
	tx_post_hdr(&f->g, &h, frame, flen, 5);
	tx_post_hdr(&f->g, &h, frame, flen, 12);
	sim_publish(&f->g);
	assert_int_equal(deq(f, m, 4), 2);
	check_mbuf(m[0], frame, flen);
	check_mbuf(m[1], frame, flen);
	assert_true(m[0]->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
	assert_int_equal(m[0]->l2_len, 14);
	assert_int_equal(m[0]->l3_len, 20);
	assert_true(m[1]->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
	free_pkts(m, 2);
	assert_int_equal(sim_reap(&f->g, u, 8), 2);
	check_synced(f);
	assert_int_equal(f->q->stats.drop_bad_hdr, 0);

	/* not negotiated: the frame is dropped and counted, the chain consumed */
	fx_init(f, 8, F_V1, false);
	tx_post_hdr(&f->g, &h, frame, flen, 40);
	tx_post(&f->g, 12, frame, flen, NULL, 0, false);
	sim_publish(&f->g);
	assert_int_equal(deq(f, m, 4), 1);
	check_mbuf(m[0], frame, flen);
	assert_int_equal(m[0]->ol_flags & RTE_MBUF_F_TX_L4_MASK, 0);
	rte_pktmbuf_free(m[0]);
	assert_int_equal(sim_reap(&f->g, u, 8), 2);
	check_synced(f);
	assert_int_equal(f->q->stats.drop_bad_hdr, 1);
	assert_int_equal(f->q->stats.packets, 1);
	assert_false(f->q->broken);
}

static void
test_offload_rx_csum(void **state)
{
	FX;
	static uint8_t frame[2048], got[2048];
	struct virtio_net_hdr_mrg_rxbuf h;
	struct rte_mbuf *p;
	struct sim_used u[8];
	uint32_t flen = tcp4_frame(frame, 1400);
	uint16_t id;

	fx_init_at(f, 8, F_V1 | F_MRG | F_GUEST_CSUM, true, 7, false);
	id = rx_post1(&f->g, 1024);
	rx_post1(&f->g, 1024);
	sim_publish(&f->g);
	p = mk_pkt(frame, flen, 2048);
	p->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4;
	p->l2_len = 14;
	p->l3_len = 20;
	assert_int_equal(enq(f, &p, 1), 1);
	rte_pktmbuf_free(p);
	assert_int_equal(sim_reap(&f->g, u, 8), 2);
	assert_int_equal(u[0].id, id);
	assert_int_equal(u[0].len + u[1].len, 12 + flen);
	sim_chain_read(&f->g, u[0].id, u[0].len, got);
	sim_chain_read(&f->g, u[1].id, u[1].len, got + u[0].len);
	memcpy(&h, got, 12);
	assert_int_equal(h.hdr.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.hdr.csum_start, 34);
	assert_int_equal(h.hdr.csum_offset, 16);
	assert_int_equal(h.num_buffers, 2);
	assert_memory_equal(got + 12, frame, 34); /* up to the TCP header */
	check_synced(f);
}

/* A TSO frame for a guest without GUEST_TSO4: segmented in software, all or none. */
static void
test_offload_rx_gso(void **state)
{
	FX;
	static uint8_t frame[4000];
	struct rte_mbuf *p;
	struct sim_used u[8];
	uint32_t flen = tcp4_frame(frame, 3000);
	uint16_t i;

	fx_init_at(f, 8, F_V1 | F_MRG, true, 6, true);
	rx_post1(&f->g, 2048);
	rx_post1(&f->g, 2048);
	sim_publish(&f->g);
	p = mk_pkt(frame, flen, 2048);
	p->ol_flags |= RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4;
	p->l2_len = 14;
	p->l3_len = 20;
	p->l4_len = 20;
	p->tso_segsz = 1000;
	/* three segments, two buffers: nothing goes in, the packet stays */
	assert_int_equal(enq(f, &p, 1), 0);
	assert_int_equal(sim_reap(&f->g, u, 8), 0);
	check_pos(f, 6, true, 6, true);
	rx_post1(&f->g, 2048);
	sim_publish(&f->g);
	assert_int_equal(enq(f, &p, 1), 1);
	rte_pktmbuf_free(p);
	assert_int_equal(sim_reap(&f->g, u, 8), 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(u[i].len, 12 + 54 + 1000);
	assert_int_equal(f->q->stats.packets, 3);
	check_synced(f);
}

/* ------------------------------------------------------------------------ */
/* Hostile rings                                                             */

#define HSIZE 8
#define A1    AV(true) /* available in the first lap (wrap 1) */
#define NX    VRING_DESC_F_NEXT
#define WR    VRING_DESC_F_WRITE
#define IND   VRING_DESC_F_INDIRECT

static void
raw(struct sim_guest *g, uint16_t pos, uint64_t addr, uint32_t len, uint16_t flags, uint16_t id)
{
	g->desc[pos].addr = addr;
	g->desc[pos].len = len;
	g->desc[pos].id = id;
	__atomic_store_n(&g->desc[pos].flags, flags, __ATOMIC_RELEASE);
	if (!(flags & IND) && len > 0 && addr + len > addr)
		sim_unpoison(g, addr, len);
}

/* A table of n descriptors in guest memory. */
static struct vring_packed_desc *
raw_table(struct sim_guest *g, uint16_t n, uint64_t *gpa)
{
	*gpa = sim_alloc(g, 16u * n);
	return sim_hva(g, *gpa, 16u * n);
}

static void
tdesc(struct sim_guest *g, struct vring_packed_desc *t, uint16_t i, uint64_t addr, uint32_t len,
	uint16_t flags)
{
	t[i].addr = addr;
	t[i].len = len;
	t[i].flags = flags;
	t[i].id = 0;
	if (!(flags & IND))
		sim_unpoison(g, addr, len);
}

struct hostile {
	const char *what;
	bool is_rx;
	uint64_t features;
	uint16_t start; /* ring position of the first chain (wrap 1) */
	void (*build)(struct sim_guest *g);
	enum vhacc_virtq_broken_reason want;
	enum vhacc_virtq_broken_reason alt; /* also accepted, NONE: none */
};

/*
 * With xpeer set, bursts go through the one-copy transfer with xpeer as the
 * healthy other side (an RX ring for a TX queue under test, and the other
 * way round), which gets a fresh chain for every burst.
 */
static struct fx *xpeer;

static void
burst_some(struct fx *f, uint16_t expect)
{
	uint8_t frame[60];
	struct rte_mbuf *m[8];
	uint16_t n, consumed;

	if (xpeer != NULL) {
		if (f->conf.is_rx) {
			fill_pattern(frame, sizeof(frame), 99);
			tx_post(&xpeer->g, 12, frame, sizeof(frame), NULL, 0, false);
			sim_publish(&xpeer->g);
			n = vhacc_virtq_xfer_burst(xpeer->q, f->q, 8, &consumed);
		} else {
			rx_post1(&xpeer->g, 2048);
			sim_publish(&xpeer->g);
			n = vhacc_virtq_xfer_burst(f->q, xpeer->q, 8, &consumed);
		}
		assert_false(xpeer->q->broken); /* a hostile ring breaks only itself */
	} else if (f->conf.is_rx) {
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
run_hostile_once(struct fx *f, const struct hostile *h)
{
	struct vhacc_virtq_state st0, st1;
	struct sim_used u[HSIZE];
	uint64_t b;

	fx_init_at(f, HSIZE, h->features, h->is_rx, h->start, true);
	h->build(&f->g);
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
	assert_int_equal(f->q->stats.packets, 0);
	assert_int_equal(sim_reap(&f->g, u, HSIZE), 0); /* nothing marked used */
	vhacc_virtq_get_state(f->q, &st1);
	assert_int_equal(st0.last_avail_idx, st1.last_avail_idx);
	assert_int_equal(st0.avail_wrap, st1.avail_wrap);
	assert_int_equal(st0.last_used_idx, st1.last_used_idx);
	assert_int_equal(st0.used_wrap, st1.used_wrap);

	/* later bursts do nothing, not even with a valid chain in place */
	if (f->conf.is_rx) {
		raw(&f->g, h->start, sim_alloc(&f->g, 2048), 2048, WR | A1, 0);
	} else {
		b = sim_alloc(&f->g, 100);
		memset(sim_hva(&f->g, b, 100), 0, 100);
		raw(&f->g, h->start, b, 100, A1, 0);
	}
	burst_some(f, 0);
	burst_some(f, 0);
	assert_true(f->q->broken);
	assert_int_equal(f->q->stats.broken, 1);
	assert_int_equal(sim_reap(&f->g, u, HSIZE), 0);
	vhacc_virtq_get_state(f->q, &st1);
	assert_int_equal(st0.last_avail_idx, st1.last_avail_idx);
	assert_int_equal(st0.last_used_idx, st1.last_used_idx);

	/* set up again on a clean ring: works */
	sim_reset_rings(&f->g, 0, true);
	f->conf.last_avail_idx = enc(0, true);
	f->conf.last_used_idx = enc(0, true);
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

/* Each hostile ring through the mbuf path, then through the one-copy transfer. */
static void
run_hostile(void **state)
{
	FX;
	const struct hostile *h = f->arg;
	struct fx peer;

	run_hostile_once(f, h);
	memset(&peer, 0, sizeof(peer));
	fx_init(&peer, 64, F_V1 | F_MRG, !h->is_rx);
	xpeer = &peer;
	run_hostile_once(f, h);
	xpeer = NULL;
	fx_fini(&peer);
}

/* every descriptor says NEXT: longer than the ring */
static void
b_chain_loop(struct sim_guest *g)
{
	uint16_t i;

	raw(g, 0, sim_alloc(g, 12), 12, NX | A1, 0);
	for (i = 1; i < HSIZE; i++)
		raw(g, i, sim_alloc(g, 100), 100, NX | A1, 0);
}

/* the same from the middle of the ring, with the wrap counters flipping correctly */
static void
b_chain_loop_wrapped(struct sim_guest *g)
{
	uint16_t i;

	for (i = 0; i < HSIZE; i++)
		raw(g, i, sim_alloc(g, 100), 100, NX | (i < 3 ? AV(false) : A1), 0);
}

static void
b_buffer_id(struct sim_guest *g)
{
	raw(g, 0, sim_alloc(g, 112), 112, A1, HSIZE);
}

static void
b_buffer_id_ffff(struct sim_guest *g)
{
	raw(g, 0, sim_alloc(g, 12), 12, NX | A1, 0);
	raw(g, 1, sim_alloc(g, 100), 100, A1, 0xffff);
}

static void
b_buffer_id_ind(struct sim_guest *g)
{
	uint64_t tg;
	struct vring_packed_desc *t = raw_table(g, 2, &tg);

	tdesc(g, t, 0, sim_alloc(g, 12), 12, 0);
	tdesc(g, t, 1, sim_alloc(g, 100), 100, 0);
	raw(g, 0, tg, 32, IND | A1, HSIZE + 3);
}

/* the second descriptor of a chain is not available */
static void
b_wrap_mid(struct sim_guest *g)
{
	raw(g, 0, sim_alloc(g, 12), 12, NX | A1, 0);
	raw(g, 1, sim_alloc(g, 100), 100, AV(false), 0);
}

/* the second descriptor looks used */
static void
b_wrap_mid_used(struct sim_guest *g)
{
	raw(g, 0, sim_alloc(g, 12), 12, NX | A1, 0);
	raw(g, 1, sim_alloc(g, 50), 50, NX | US(true), 0);
	raw(g, 2, sim_alloc(g, 50), 50, A1, 0);
}

/* a chain across the ring end whose flags do not flip with the wrap counter */
static void
b_wrap_no_flip(struct sim_guest *g)
{
	raw(g, 6, sim_alloc(g, 12), 12, NX | A1, 0);
	raw(g, 7, sim_alloc(g, 50), 50, NX | A1, 0);
	raw(g, 0, sim_alloc(g, 50), 50, A1, 1);
}

static void
b_zero_len(struct sim_guest *g)
{
	raw(g, 0, sim_alloc(g, 12), 12, NX | A1, 0);
	raw(g, 1, sim_alloc(g, 64), 0, NX | A1, 0);
	raw(g, 2, sim_alloc(g, 100), 100, A1, 0);
}

static void
b_overflow(struct sim_guest *g)
{
	raw(g, 0, UINT64_MAX - 0x7ff, 0x1000, A1, 0);
}

static void
b_addr_outside(struct sim_guest *g)
{
	raw(g, 0, 0x1000, 100, A1, 0);
}

static void
b_addr_between(struct sim_guest *g)
{
	raw(g, 0, SIM_R2_GPA - 0x10000, 100, A1, 0); /* gap between regions 1 and 2 */
}

static void
b_addr_partly_outside(struct sim_guest *g)
{
	raw(g, 0, SIM_R1_GPA + SIM_R1_SIZE - 100, 200, A1, 0);
}

static void
b_addr_partly_outside_r2(struct sim_guest *g)
{
	raw(g, 6, sim_alloc(g, 12), 12, NX | A1, 0);
	raw(g, 7, sim_alloc(g, 12), 12, NX | A1, 0);
	raw(g, 0, SIM_R2_GPA + SIM_R2_SIZE - 50, 51, AV(false), 0);
}

static void
b_ind_nested(struct sim_guest *g)
{
	uint64_t t1g, t2g;
	struct vring_packed_desc *t1 = raw_table(g, 2, &t1g);
	struct vring_packed_desc *t2 = raw_table(g, 1, &t2g);

	tdesc(g, t2, 0, sim_alloc(g, 100), 100, 0);
	tdesc(g, t1, 0, sim_alloc(g, 12), 12, 0);
	tdesc(g, t1, 1, t2g, 16, IND);
	raw(g, 0, t1g, 32, IND | A1, 0);
}

static void
b_ind_next(struct sim_guest *g)
{
	uint64_t tg;
	struct vring_packed_desc *t = raw_table(g, 1, &tg);

	tdesc(g, t, 0, sim_alloc(g, 112), 112, 0);
	raw(g, 0, tg, 16, IND | NX | A1, 0);
	raw(g, 1, sim_alloc(g, 100), 100, A1, 0);
}

static void
b_ind_no_feature(struct sim_guest *g)
{
	uint64_t tg;
	struct vring_packed_desc *t = raw_table(g, 1, &tg);

	tdesc(g, t, 0, sim_alloc(g, 112), 112, 0);
	raw(g, 0, tg, 16, IND | A1, 0);
}

static void
b_ind_len_odd(struct sim_guest *g)
{
	uint64_t tg;
	struct vring_packed_desc *t = raw_table(g, 2, &tg);

	tdesc(g, t, 0, sim_alloc(g, 12), 12, 0);
	tdesc(g, t, 1, sim_alloc(g, 100), 100, 0);
	raw(g, 0, tg, 24, IND | A1, 0);
}

static void
b_ind_len_zero(struct sim_guest *g)
{
	uint64_t tg;
	struct vring_packed_desc *t = raw_table(g, 1, &tg);

	tdesc(g, t, 0, sim_alloc(g, 112), 112, 0);
	raw(g, 0, tg, 0, IND | A1, 0);
}

static void
b_ind_outside(struct sim_guest *g)
{
	raw(g, 0, SIM_R2_GPA + SIM_R2_SIZE + 0x1000, 32, IND | A1, 0);
}

static void
b_ind_partly_outside(struct sim_guest *g)
{
	uint64_t tg = SIM_R2_GPA + SIM_R2_SIZE - 16;
	struct vring_packed_desc *t = sim_hva(g, tg, 16);

	sim_unpoison(g, tg, 16);
	tdesc(g, t, 0, sim_alloc(g, 112), 112, 0);
	raw(g, 0, tg, 32, IND | A1, 0);
}

/* a table larger than the largest ring (32768 entries) */
static void
b_ind_too_many(struct sim_guest *g)
{
	const uint32_t n = 32769;
	uint64_t tg = sim_alloc(g, 16u * n);
	struct vring_packed_desc *t = sim_hva(g, tg, 16u * n);
	uint32_t i;

	memset(t, 0, 16u * n);
	for (i = 0; i < n; i++) {
		t[i].addr = tg;
		t[i].len = 16;
	}
	raw(g, 0, tg, 16u * n, IND | A1, 0);
}

static void
b_ind_zero_len_entry(struct sim_guest *g)
{
	uint64_t tg;
	struct vring_packed_desc *t = raw_table(g, 3, &tg);

	tdesc(g, t, 0, sim_alloc(g, 12), 12, 0);
	tdesc(g, t, 1, sim_alloc(g, 16), 0, 0);
	tdesc(g, t, 2, sim_alloc(g, 100), 100, 0);
	raw(g, 0, tg, 48, IND | A1, 0);
}

static void
b_tx_write_desc(struct sim_guest *g)
{
	raw(g, 0, sim_alloc(g, 12), 12, NX | A1, 0);
	raw(g, 1, sim_alloc(g, 100), 100, WR | A1, 0);
}

static void
b_rx_read_desc_ind(struct sim_guest *g)
{
	uint64_t tg;
	struct vring_packed_desc *t = raw_table(g, 2, &tg);

	tdesc(g, t, 0, sim_alloc(g, 12), 12, WR);
	tdesc(g, t, 1, sim_alloc(g, 2048), 2048, 0);
	raw(g, 0, tg, 32, IND | A1, 0);
}

static void
b_tx_hdr_only(struct sim_guest *g)
{
	raw(g, 0, sim_alloc(g, 12), 12, A1, 0);
}

static void
b_tx_hdr_only_split(struct sim_guest *g)
{
	raw(g, 7, sim_alloc(g, 6), 6, NX | A1, 0);
	raw(g, 0, sim_alloc(g, 6), 6, AV(false), 0);
}

static void
b_tx_shorter_than_hdr(struct sim_guest *g)
{
	raw(g, 0, sim_alloc(g, 5), 5, A1, 0);
}

static void
b_rx_read_desc(struct sim_guest *g)
{
	raw(g, 0, sim_alloc(g, 12), 12, WR | NX | A1, 0);
	raw(g, 1, sim_alloc(g, 2048), 2048, A1, 0);
}

static void
b_rx_partly_outside(struct sim_guest *g)
{
	raw(g, 0, SIM_R1_GPA + SIM_R1_SIZE - 30, 2048, WR | A1, 0);
}

/* 4-byte buffers: the 72-byte packet needs more descriptors than the ring has */
static void
b_rx_loop(struct sim_guest *g)
{
	uint16_t i;

	for (i = 0; i < HSIZE; i++)
		raw(g, i, sim_alloc(g, 4), 4, WR | NX | A1, 0);
}

static void
b_rx_zero_len(struct sim_guest *g)
{
	raw(g, 0, sim_alloc(g, 2048), 0, WR | A1, 0);
}

/* MRG_RXBUF: the packet needs two buffers, the second is outside memory */
static void
b_rx_mrg_second_bad(struct sim_guest *g)
{
	raw(g, 0, sim_alloc(g, 40), 40, WR | A1, 0);
	raw(g, 1, 0x2000, 1024, WR | A1, 1);
}

/* the part of a chain the packet does not reach still needs a valid id ... */
static void
b_rx_tail_buffer_id(struct sim_guest *g)
{
	raw(g, 0, sim_alloc(g, 2048), 2048, WR | NX | A1, 0);
	raw(g, 1, sim_alloc(g, 2048), 2048, WR | A1, 0x8000);
}

/* ... and must be available */
static void
b_rx_tail_wrap(struct sim_guest *g)
{
	raw(g, 7, sim_alloc(g, 2048), 2048, WR | NX | A1, 0);
	raw(g, 0, sim_alloc(g, 2048), 2048, WR | A1, 0); /* wrap 1 bits in lap 0 */
}

static void
b_rx_ind_nested(struct sim_guest *g)
{
	uint64_t t1g, t2g;
	struct vring_packed_desc *t1 = raw_table(g, 1, &t1g);
	struct vring_packed_desc *t2 = raw_table(g, 1, &t2g);

	tdesc(g, t2, 0, sim_alloc(g, 2048), 2048, WR);
	tdesc(g, t1, 0, t2g, 16, IND);
	raw(g, 0, t1g, 16, IND | A1, 0);
}

#define TXF (F_V1 | F_INDIRECT)
#define RXF (F_V1 | F_MRG | F_INDIRECT)

#define HOSTILE(name, rx, feat, start, want_, alt_)                                                \
	static const struct hostile hc_##name = {                                                  \
		#name, rx, feat, start, b_##name, VHACC_BROKEN_##want_, VHACC_BROKEN_##alt_};      \
	static void test_hostile_##name(void **state)                                              \
	{                                                                                          \
		run_hostile(state);                                                                \
	}

HOSTILE(chain_loop, false, TXF, 0, CHAIN_LOOP, NONE)
HOSTILE(chain_loop_wrapped, false, TXF, 3, CHAIN_LOOP, NONE)
HOSTILE(buffer_id, false, TXF, 0, BUFFER_ID, NONE)
HOSTILE(buffer_id_ffff, false, TXF, 0, BUFFER_ID, NONE)
HOSTILE(buffer_id_ind, false, TXF, 0, BUFFER_ID, NONE)
HOSTILE(wrap_mid, false, TXF, 0, WRAP, NONE)
HOSTILE(wrap_mid_used, false, TXF, 0, WRAP, NONE)
HOSTILE(wrap_no_flip, false, TXF, 6, WRAP, NONE)
HOSTILE(zero_len, false, TXF, 0, BAD_LEN, NONE)
HOSTILE(overflow, false, TXF, 0, BAD_LEN, BAD_ADDR)
HOSTILE(addr_outside, false, TXF, 0, BAD_ADDR, NONE)
HOSTILE(addr_between, false, TXF, 0, BAD_ADDR, NONE)
HOSTILE(addr_partly_outside, false, TXF, 0, BAD_ADDR, NONE)
HOSTILE(addr_partly_outside_r2, false, TXF, 6, BAD_ADDR, NONE)
HOSTILE(ind_nested, false, TXF, 0, INDIRECT, NONE)
HOSTILE(ind_next, false, TXF, 0, INDIRECT, NONE)
HOSTILE(ind_no_feature, false, F_V1, 0, INDIRECT, NONE)
HOSTILE(ind_len_odd, false, TXF, 0, INDIRECT, NONE)
HOSTILE(ind_len_zero, false, TXF, 0, INDIRECT, BAD_LEN)
HOSTILE(ind_outside, false, TXF, 0, BAD_ADDR, INDIRECT)
HOSTILE(ind_partly_outside, false, TXF, 0, BAD_ADDR, INDIRECT)
HOSTILE(ind_too_many, false, TXF, 0, INDIRECT, CHAIN_LOOP)
HOSTILE(ind_zero_len_entry, false, TXF, 0, BAD_LEN, NONE)
HOSTILE(tx_write_desc, false, TXF, 0, DESC_DIR, NONE)
HOSTILE(tx_hdr_only, false, TXF, 0, SHORT_CHAIN, NONE)
HOSTILE(tx_hdr_only_split, false, TXF, 7, SHORT_CHAIN, NONE)
HOSTILE(tx_shorter_than_hdr, false, TXF, 0, SHORT_CHAIN, NONE)
HOSTILE(rx_read_desc, true, RXF, 0, DESC_DIR, NONE)
HOSTILE(rx_read_desc_ind, true, RXF, 0, DESC_DIR, NONE)
HOSTILE(rx_partly_outside, true, RXF, 0, BAD_ADDR, NONE)
HOSTILE(rx_loop, true, RXF, 0, CHAIN_LOOP, NONE)
HOSTILE(rx_zero_len, true, RXF, 0, BAD_LEN, NONE)
HOSTILE(rx_mrg_second_bad, true, RXF, 0, BAD_ADDR, NONE)
HOSTILE(rx_tail_buffer_id, true, RXF, 0, BUFFER_ID, NONE)
HOSTILE(rx_tail_wrap, true, RXF, 7, WRAP, NONE)
HOSTILE(rx_ind_nested, true, RXF, 0, INDIRECT, NONE)

/* ------------------------------------------------------------------------ */

static int
group_setup(void **state)
{
	(void)state;
	return sim_group_setup("vhacc-ut-virtq-packed");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tx_single_desc),
		T(test_tx_multi_desc),
		T(test_tx_chain_len_eq_size),
		T(test_tx_chain_cross_end),
		T(test_tx_indirect),
		T(test_tx_indirect_write_flag),
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
		T(test_rx_chain_longer),
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
		T(test_xfer_frames),
		T(test_xfer_mergeable_wrap),
		T(test_xfer_too_big),
		T(test_xfer_in_order),
		T(test_notify_enable_disable),
		T(test_notify_desc_event_idx),
		T(test_notify_full_lap),
		T(test_notify_rx),
		T(test_notify_no_callfd),
		T(test_log_setup),
		T(test_log_rx),
		T(test_log_tx),
		T(test_log_off),
		T(test_wrap_tx),
		T(test_wrap_rx),
		T(test_setup_resume),
		T(test_state_ring_check),
		T(test_skip_frontend_used),
		T(test_setup_einval),
		T(test_offload_tx),
		T(test_offload_rx_csum),
		T(test_offload_rx_gso),
		H(chain_loop),
		H(chain_loop_wrapped),
		H(buffer_id),
		H(buffer_id_ffff),
		H(buffer_id_ind),
		H(wrap_mid),
		H(wrap_mid_used),
		H(wrap_no_flip),
		H(zero_len),
		H(overflow),
		H(addr_outside),
		H(addr_between),
		H(addr_partly_outside),
		H(addr_partly_outside_r2),
		H(ind_nested),
		H(ind_next),
		H(ind_no_feature),
		H(ind_len_odd),
		H(ind_len_zero),
		H(ind_outside),
		H(ind_partly_outside),
		H(ind_too_many),
		H(ind_zero_len_entry),
		H(tx_write_desc),
		H(tx_hdr_only),
		H(tx_hdr_only_split),
		H(tx_shorter_than_hdr),
		H(rx_read_desc),
		H(rx_read_desc_ind),
		H(rx_partly_outside),
		H(rx_loop),
		H(rx_zero_len),
		H(rx_mrg_second_bad),
		H(rx_tail_buffer_id),
		H(rx_tail_wrap),
		H(rx_ind_nested),
		T(test_broken_reason_str),
	};

	return cmocka_run_group_tests_name("virtq_packed", tests, group_setup, group_teardown);
}
