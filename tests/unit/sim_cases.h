/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_TEST_SIM_CASES_H
#define VHACC_TEST_SIM_CASES_H

/*
 * The unit test cases that the split and the packed engine share: the same
 * scenario through either simulated driver, built into test_virtq_split.c
 * and test_virtq_packed.c. #if SIM_PACKED only where the rings really
 * differ; each test keeps its ring's own cases and its cmocka list.
 *
 * The test defines SIM_PACKED (0 or 1) and, before including this (after
 * sim_data.h), these hooks:
 *   fx_init(f, size, features, is_rx)   a queue at the start of its ring
 *   fx_init_at(f, size, features, is_rx, pos, wrap)
 *           packed: from ring position pos in lap wrap, so that chains
 *           cross the ring end; split: as fx_init (index 0)
 *   check_taken(f, chains, descs)       the queue has taken and used this
 *           much since its setup position: split counts chains (its
 *           indexes), packed ring descriptors; nothing held
 *   check_synced(f)                     the queue's positions are the
 *           driver's: everything posted was taken, everything used reaped
 *   sim_used_pos(g)                     where the driver reaps next
 *   check_used_logged(f, pos, u, nu)    the used entries the driver reaped
 *           from pos (u[], nu of them) were logged
 *   drv_event(f, flags, off, wrap)      packed only: driver event suppression
 */

#if SIM_PACKED
#define BY_RING(split, packed) (packed)
#else
#define BY_RING(split, packed) (split)
#endif

#define FX struct fx *f = *state

static uint16_t
deq(struct fx *f, struct rte_mbuf **pkts, uint16_t n)
{
	return vhacc_virtq_dequeue_burst(f->q, pool, pkts, n);
}

static uint16_t
enq(struct fx *f, struct rte_mbuf **pkts, uint16_t n)
{
	return vhacc_virtq_enqueue_burst(f->q, pkts, n);
}

static void
free_pkts(struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
}

/*
 * Enqueue a frame too big for the posted buffers (big, pattern seed) and a
 * small one after it (small, seed + 1): the big one is dropped and counted,
 * the small one delivered. The caller checks where the small one landed.
 */
static void
enq_big_then_small(struct fx *f, uint8_t *big, uint32_t big_len, uint8_t *small, uint32_t small_len,
	uint8_t seed)
{
	struct rte_mbuf *p[2];

	fill_pattern(big, big_len, seed);
	fill_pattern(small, small_len, seed + 1);
	p[0] = mk_pkt(big, big_len, 2048);
	p[1] = mk_pkt(small, small_len, 2048);
	assert_int_equal(enq(f, p, 2), 2);
	free_pkts(p, 2);
	assert_int_equal(f->q->stats.drop_too_big, 1);
	assert_int_equal(f->q->stats.packets, 1);
	assert_int_equal(f->q->stats.bytes, small_len);
	assert_false(f->q->broken);
}

/* check_taken and check_synced: all that was posted taken, used and reaped */
static void
check_done(struct fx *f, uint16_t chains, uint16_t descs)
{
	check_taken(f, chains, descs);
	check_synced(f);
}

/* n single-descriptor TX frames through the queue and reaped */
static void
tx_one(struct fx *f, uint16_t n)
{
	uint8_t frame[60];
	struct rte_mbuf *m[16];
	struct sim_used u[16];
	uint16_t i;

	fill_pattern(frame, sizeof(frame), 80);
	for (i = 0; i < n; i++)
		tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
	sim_publish(&f->g);
	assert_int_equal(deq(f, m, 16), n);
	free_pkts(m, n);
	assert_int_equal(sim_reap(&f->g, u, 16), n);
}

/* One-copy transfer from a's TX ring to b's RX ring */
static uint16_t
xfer(struct fx *a, struct fx *b, uint16_t n, uint16_t *consumed)
{
	return vhacc_virtq_xfer_burst(a->q, b->q, n, consumed);
}

/* Every byte the device wrote into the reaped RX chains is logged, by guest physical address. */
static void
check_rx_logged(struct fx *f, const struct sim_used *u, uint16_t nu)
{
	uint16_t i, s;

	for (i = 0; i < nu; i++) {
		const struct sim_chain *c = &f->g.chain[u[i].id];
		uint32_t left = u[i].len;

		for (s = 0; s < c->nseg && left > 0; s++) {
			uint32_t l = RTE_MIN(left, c->seg[s].len);

			if (!log_covered(log_w, log_nw, TEST_VID, -1, c->seg[s].gpa, l))
				fail_msg("RX write gpa 0x%" PRIx64 " len %u not logged",
					c->seg[s].gpa, l);
			left -= l;
		}
	}
	/* logged by guest physical address */
	for (i = 0; i < RTE_MIN(log_nw, LOG_MAX); i++)
		assert_true(in_guest_mem(&f->g, log_w[i].addr, log_w[i].len));
}

/* ------------------------------------------------------------------------ */
/* TX (guest -> device)                                                      */

static void
test_tx_single_desc(void **state)
{
	FX;
	uint8_t frame[60];
	struct rte_mbuf *m[4];
	struct sim_used u[16];
	uint16_t id;

	fx_init(f, 16, F_V1, false);
	fill_pattern(frame, sizeof(frame), 1);
	id = tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
	assert_int_equal(deq(f, m, 4), 0); /* not made available yet */
	sim_publish(&f->g);
	assert_int_equal(deq(f, m, 4), 1);
	check_mbuf(m[0], frame, sizeof(frame));
	assert_int_equal(sim_reap(&f->g, u, 16), 1);
	assert_int_equal(u[0].id, id);
	assert_int_equal(u[0].len, 0);
#if SIM_PACKED
	assert_int_equal(f->g.desc[0].flags & VRING_DESC_F_WRITE, 0);
#endif
	check_done(f, 1, 1);
	assert_int_equal(f->q->stats.packets, 1);
	assert_int_equal(f->q->stats.bytes, sizeof(frame));
	assert_int_equal(f->q->stats.notifications, 1);
	assert_int_equal(efd_count(f), 1);
	assert_int_equal(deq(f, m + 1, 3), 0);
	assert_int_equal(efd_count(f), 0);
	rte_pktmbuf_free(m[0]);
}

static void
test_tx_multi_desc(void **state)
{
	FX;
	static const uint32_t l1[] = {12, 100, 200, 700}; /* header alone, payload x3 */
	static const uint32_t l2[] = {5, 10, 997};        /* header split over descs */
	static const uint32_t l3[] = {12, 1};             /* 1 payload byte */
	static const uint32_t l4[] = {20, 40};            /* header + payload start */
	uint8_t f1[1000], f2[1000], f3[1], f4[48];
	struct rte_mbuf *m[8];
	struct sim_used u[16];
	uint16_t h[4], i;

	fx_init(f, 16, F_V1, false);
	fill_pattern(f1, sizeof(f1), 2);
	fill_pattern(f2, sizeof(f2), 3);
	fill_pattern(f3, sizeof(f3), 4);
	fill_pattern(f4, sizeof(f4), 5);
	h[0] = tx_post(&f->g, 12, f1, sizeof(f1), l1, RTE_DIM(l1), false);
	h[1] = tx_post(&f->g, 12, f2, sizeof(f2), l2, RTE_DIM(l2), false);
	h[2] = tx_post(&f->g, 12, f3, sizeof(f3), l3, RTE_DIM(l3), false);
	h[3] = tx_post(&f->g, 12, f4, sizeof(f4), l4, RTE_DIM(l4), false);
	sim_publish(&f->g);
	assert_int_equal(deq(f, m, 8), 4);
	check_mbuf(m[0], f1, sizeof(f1));
	check_mbuf(m[1], f2, sizeof(f2));
	check_mbuf(m[2], f3, sizeof(f3));
	check_mbuf(m[3], f4, sizeof(f4));
	assert_int_equal(sim_reap(&f->g, u, 16), 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(u[i].id, h[i]);
		assert_int_equal(u[i].len, 0);
	}
	check_done(f, 4, 11);
	assert_int_equal(sim_free_descs(&f->g), 16);
	assert_int_equal(f->q->stats.packets, 4);
	assert_int_equal(f->q->stats.bytes, 1000 + 1000 + 1 + 48);
	free_pkts(m, 4);
}

/*
 * A chain of exactly ring-size descriptors is legal. Packed, twice: from
 * position 0 of lap 0, then from position 5 of lap 1 with the buffer id in
 * every descriptor (also legal); a full lap later the position is the same,
 * the wrap counters flipped.
 */
static void
test_tx_chain_len_eq_size(void **state)
{
	FX;
	uint32_t lens[8] = {12, 100, 100, 100, 100, 100, 100, 100};
	uint8_t frame[700];
	struct rte_mbuf *m[2];
	struct sim_used u[8];
	unsigned int k;

	for (k = 0; k < BY_RING(1u, 2u); k++) {
		fx_init_at(f, 8, F_V1, false, (uint16_t)(k * 5), k == 0);
#if SIM_PACKED
		f->g.id_in_all = k == 1;
#endif
		fill_pattern(frame, sizeof(frame), 6);
		tx_post(&f->g, 12, frame, sizeof(frame), lens, 8, false);
		sim_publish(&f->g);
		assert_int_equal(deq(f, m, 2), 1);
		assert_false(f->q->broken);
		check_mbuf(m[0], frame, sizeof(frame));
		assert_int_equal(sim_reap(&f->g, u, 8), 1);
		check_done(f, 1, 8);
		rte_pktmbuf_free(m[0]);
	}
}

/* Packed: a 4-entry ring from position 2, so that the 21-entry table is longer than it. */
static void
test_tx_indirect(void **state)
{
	FX;
	static const uint32_t l1[] = {12, 500, 500};
	static const uint32_t l3[] = {12, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
		30, 30, 30, 30, 30, 30}; /* 21-entry table */
	uint8_t f1[1000], f2[64], f3[600];
	struct rte_mbuf *m[8];
	struct sim_used u[32];
	uint16_t h[3], i;

	fx_init_at(f, BY_RING(32, 4), F_V1 | F_INDIRECT, false, 2, false);
	fill_pattern(f1, sizeof(f1), 7);
	fill_pattern(f2, sizeof(f2), 8);
	fill_pattern(f3, sizeof(f3), 9);
	h[0] = tx_post(&f->g, 12, f1, sizeof(f1), l1, RTE_DIM(l1), true);
	h[1] = tx_post(&f->g, 12, f2, sizeof(f2), NULL, 0, false); /* direct in between */
	h[2] = tx_post(&f->g, 12, f3, sizeof(f3), l3, RTE_DIM(l3), true);
	sim_publish(&f->g);
	assert_int_equal(deq(f, m, 8), 3);
	check_mbuf(m[0], f1, sizeof(f1));
	check_mbuf(m[1], f2, sizeof(f2));
	check_mbuf(m[2], f3, sizeof(f3));
	assert_int_equal(sim_reap(&f->g, u, 32), 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(u[i].id, h[i]);
	check_done(f, 3, 3);

	/* single-entry indirect table with header and frame together */
	h[0] = tx_post(&f->g, 12, f2, sizeof(f2), NULL, 0, true);
	sim_publish(&f->g);
	assert_int_equal(deq(f, m + 3, 1), 1);
	check_mbuf(m[3], f2, sizeof(f2));
	assert_int_equal(sim_reap(&f->g, u, 32), 1);
	assert_int_equal(u[0].id, h[0]);
	check_synced(f);
	free_pkts(m, 4);
}

static void
test_tx_large_frame(void **state)
{
	FX;
	static const uint32_t l2[] = {12, 4096, 4096, 808};
	static uint8_t f1[5000], f2[9000];
	struct rte_mbuf *m[4];
	struct sim_used u[16];

	fx_init(f, 16, F_V1, false);
	fill_pattern(f1, sizeof(f1), 10);
	fill_pattern(f2, sizeof(f2), 11);
	tx_post(&f->g, 12, f1, sizeof(f1), NULL, 0, false);
	tx_post(&f->g, 12, f2, sizeof(f2), l2, RTE_DIM(l2), false);
	sim_publish(&f->g);
	assert_int_equal(deq(f, m, 4), 2);
	check_mbuf(m[0], f1, sizeof(f1));
	check_mbuf(m[1], f2, sizeof(f2));
	assert_true(m[0]->nb_segs >= 3);
	assert_true(m[1]->nb_segs >= 5);
	assert_int_equal(sim_reap(&f->g, u, 16), 2);
	check_done(f, 2, 5);
	assert_int_equal(f->q->stats.bytes, 14000);
	free_pkts(m, 2);
}

/* Frames in buffers that cross from region 0 into the adjacent region 1, and in region 2. */
static void
test_tx_region_crossing(void **state)
{
	FX;
	static const uint32_t l1[] = {12, 1500};
	const uint64_t g1[] = {0, SIM_R1_GPA - 700};
	const uint32_t l2[] = {1512};
	const uint64_t g2[] = {SIM_R2_GPA + 0x100};
	const uint64_t g3[] = {SIM_R2_GPA + SIM_R2_SIZE - 1512}; /* ends exactly at the end */
	uint8_t f1[1500];
	struct rte_mbuf *m[4];
	struct sim_used u[16];

	fx_init(f, 16, F_V1, false);
	fill_pattern(f1, sizeof(f1), 12);
	tx_post_at(&f->g, 12, f1, sizeof(f1), l1, g1, 2, false);
	tx_post_at(&f->g, 12, f1, sizeof(f1), l2, g2, 1, false);
	tx_post_at(&f->g, 12, f1, sizeof(f1), l2, g3, 1, false);
	sim_publish(&f->g);
	assert_int_equal(deq(f, m, 4), 3);
	assert_false(f->q->broken);
	check_mbuf(m[0], f1, sizeof(f1));
	check_mbuf(m[1], f1, sizeof(f1));
	check_mbuf(m[2], f1, sizeof(f1));
	assert_int_equal(sim_reap(&f->g, u, 16), 3);
	check_done(f, 3, 4);
	free_pkts(m, 3);
}

/* Legacy header (no VERSION_1, no MRG_RXBUF) is 10 bytes; MRG_RXBUF alone makes it 12. */
static void
test_tx_hdr_len(void **state)
{
	FX;
	static const uint32_t l10[] = {10, 60};
	static const uint32_t l12[] = {12, 60};
	uint8_t frame[60];
	struct rte_mbuf *m[2];
	struct sim_used u[8];

	fill_pattern(frame, sizeof(frame), 13);
	fx_init(f, 8, 0, false);
	assert_int_equal(f->q->hdr_len, 10);
	tx_post(&f->g, 10, frame, sizeof(frame), l10, 2, false);
	tx_post(&f->g, 10, frame, sizeof(frame), NULL, 0, false);
	sim_publish(&f->g);
	assert_int_equal(deq(f, m, 2), 2);
	check_mbuf(m[0], frame, sizeof(frame));
	check_mbuf(m[1], frame, sizeof(frame));
	assert_int_equal(sim_reap(&f->g, u, 8), 2);
	free_pkts(m, 2);

	fx_init(f, 8, F_MRG, false);
	assert_int_equal(f->q->hdr_len, 12);
	tx_post(&f->g, 12, frame, sizeof(frame), l12, 2, false);
	sim_publish(&f->g);
	assert_int_equal(deq(f, m, 2), 1);
	check_mbuf(m[0], frame, sizeof(frame));
	assert_int_equal(sim_reap(&f->g, u, 8), 1);
	free_pkts(m, 1);
}

/*
 * Used ids, state export and held() over bursts that reuse ring slots and
 * ids. Split: each id comes back in the burst; packed: in posting order.
 */
static void
test_tx_state_and_ids(void **state)
{
	FX;
	static const uint32_t l2[] = {12, 30, 30};
	uint8_t frame[60];
	struct rte_mbuf *m[8];
	struct sim_used u[8];
	uint16_t h[8], round, i, total = 0, descs = 0;

	fx_init(f, 8, F_V1, false);
	fill_pattern(frame, sizeof(frame), 14);
	for (round = 0; round < BY_RING(6, 12); round++) {
		uint16_t n = 1 + round % 3;

		for (i = 0; i < n; i++) {
			h[i] = tx_post(&f->g, 12, frame, sizeof(frame), (i & 1) ? l2 : NULL,
				(i & 1) ? RTE_DIM(l2) : 0, false);
			descs += (i & 1) ? RTE_DIM(l2) : 1;
		}
		sim_publish(&f->g);
		assert_int_equal(held(f), 0);
		assert_int_equal(deq(f, m, 8), n);
		assert_int_equal(held(f), 0);
		assert_int_equal(sim_reap(&f->g, u, 8), n);
		for (i = 0; i < n; i++) {
			check_mbuf(m[i], frame, sizeof(frame));
#if SIM_PACKED
			assert_int_equal(u[i].id, h[i]);
#else
			{
				bool found = false;
				uint16_t j;

				for (j = 0; j < n; j++)
					found |= u[j].id == h[i];
				assert_true(found);
			}
#endif
			assert_int_equal(u[i].len, 0);
		}
		free_pkts(m, n);
		total += n;
		check_done(f, total, descs);
	}
	assert_int_equal(f->q->stats.packets, total);
}

static void
test_tx_burst_limit(void **state)
{
	FX;
	uint8_t frame[60];
	struct rte_mbuf *m[8];
	struct sim_used u[16];
	uint16_t i;

	fx_init(f, 16, F_V1, false);
	for (i = 0; i < 5; i++) {
		fill_pattern(frame, sizeof(frame), 20 + i);
		tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
	}
	sim_publish(&f->g);
	assert_int_equal(deq(f, m, 0), 0);
	check_taken(f, 0, 0);
	assert_int_equal(deq(f, m, 2), 2);
	check_taken(f, 2, 2);
	assert_int_equal(deq(f, m + 2, 1), 1);
	check_taken(f, 3, 3);
	assert_int_equal(deq(f, m + 3, 5), 2);
	check_taken(f, 5, 5);
	for (i = 0; i < 5; i++) {
		fill_pattern(frame, sizeof(frame), 20 + i);
		check_mbuf(m[i], frame, sizeof(frame));
	}
	assert_int_equal(sim_reap(&f->g, u, 16), 5);
	free_pkts(m, 5);
}

static void
test_tx_pool_exhaustion(void **state)
{
	FX;
	static uint8_t big[5000];
	struct rte_mempool *small;
	uint8_t frame[60];
	struct rte_mbuf *m[8];
	struct sim_used u[16];
	uint64_t nm;
	uint16_t i;

	small = rte_pktmbuf_pool_create(
		"ut_small", 2, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	assert_non_null(small);
	fx_init(f, 16, F_V1, false);
	for (i = 0; i < 4; i++) {
		fill_pattern(frame, sizeof(frame), 30 + i);
		tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
	}
	sim_publish(&f->g);

	/* two mbufs for four chains: stops after two, the rest stays in the ring */
	assert_int_equal(vhacc_virtq_dequeue_burst(f->q, small, m, 8), 2);
	assert_true(f->q->stats.no_mbuf >= 1);
	check_taken(f, 2, 2);
	nm = f->q->stats.no_mbuf;
	assert_int_equal(vhacc_virtq_dequeue_burst(f->q, small, m + 2, 8), 0);
	assert_true(f->q->stats.no_mbuf > nm);
	check_taken(f, 2, 2);
	assert_int_equal(sim_reap(&f->g, u, 16), 2);
	free_pkts(m, 2);
	assert_int_equal(vhacc_virtq_dequeue_burst(f->q, small, m, 8), 2);
	check_taken(f, 4, 4);
	for (i = 0; i < 2; i++) {
		fill_pattern(frame, sizeof(frame), 32 + i);
		check_mbuf(m[i], frame, sizeof(frame));
	}
	assert_int_equal(sim_reap(&f->g, u, 16), 2);
	free_pkts(m, 2);
	assert_int_equal(f->q->stats.packets, 4);

	/* a frame needing three mbufs with two in the pool: not consumed, nothing leaked */
	fill_pattern(big, sizeof(big), 34);
	tx_post(&f->g, 12, big, sizeof(big), NULL, 0, false);
	sim_publish(&f->g);
	nm = f->q->stats.no_mbuf;
	assert_int_equal(vhacc_virtq_dequeue_burst(f->q, small, m, 8), 0);
	assert_true(f->q->stats.no_mbuf > nm);
	assert_int_equal(rte_mempool_avail_count(small), 2);
	check_taken(f, 4, 4);
	assert_int_equal(deq(f, m, 8), 1);
	check_mbuf(m[0], big, sizeof(big));
	check_taken(f, 5, 5);
	assert_int_equal(sim_reap(&f->g, u, 16), 1);
	rte_pktmbuf_free(m[0]);
	assert_int_equal(f->q->stats.packets, 5);
	assert_int_equal(f->q->stats.drop_too_big + f->q->stats.drop_runt, 0);
	assert_int_equal(rte_mempool_avail_count(small), 2);
	rte_mempool_free(small);
}

/* ------------------------------------------------------------------------ */
/* RX (device -> guest)                                                      */

static void
test_rx_single_buffer(void **state)
{
	FX;
	static const uint64_t fs[] = {F_V1, F_MRG, 0, F_V1 | F_MRG};
	uint8_t frame[60], out[64], tail[16], aa[16];
	struct rte_mbuf *p;
	struct sim_used u[8];
	unsigned int k;

	memset(aa, 0xaa, sizeof(aa));
	fill_pattern(frame, sizeof(frame), 40);
	for (k = 0; k < RTE_DIM(fs); k++) {
		uint16_t hdr = hdr_len_of(fs[k]), pos = 0, id;

		fx_init(f, 8, fs[k], true);
		assert_int_equal(f->q->hdr_len, hdr);
		id = rx_post1(&f->g, 2048);
		sim_publish(&f->g);
		p = mk_pkt(frame, sizeof(frame), 2048);
		assert_int_equal(enq(f, &p, 1), 1);
		rte_pktmbuf_free(p);
		assert_int_equal(sim_reap(&f->g, u, 8), 1);
		assert_int_equal(u[0].id, id);
		assert_int_equal(u[0].len, hdr + sizeof(frame));
		assert_int_equal(rx_collect(&f->g, u, 1, &pos, hdr, 1, out), sizeof(frame));
		assert_memory_equal(out, frame, sizeof(frame));
		/* nothing written past the packet */
		sim_read(&f->g, f->g.chain[id].seg[0].gpa + u[0].len, tail, sizeof(tail));
		assert_memory_equal(tail, aa, sizeof(tail));
		check_done(f, 1, 1);
		assert_int_equal(f->q->stats.packets, 1);
		assert_int_equal(f->q->stats.bytes, sizeof(frame));
		assert_int_equal(efd_count(f), 1);
	}
}

static void
test_rx_mergeable(void **state)
{
	FX;
	static uint8_t f1[1518], f2[9000], f3[64], out[9100];
	struct rte_mbuf *p[3];
	struct sim_used u[32];
	uint16_t i, nu, pos = 0;
	uint32_t sum;

	fx_init_at(f, 32, F_V1 | F_MRG, true, 27, false); /* packed: buffers cross the ring end */
	for (i = 0; i < 16; i++)
		rx_post1(&f->g, 1024);
	sim_publish(&f->g);
	fill_pattern(f1, sizeof(f1), 41);
	fill_pattern(f2, sizeof(f2), 42);
	fill_pattern(f3, sizeof(f3), 43);
	p[0] = mk_pkt(f1, sizeof(f1), 2048);
	p[1] = mk_pkt(f2, sizeof(f2), 2000); /* 5 chained mbufs */
	assert_int_equal(enq(f, p, 2), 2);
	free_pkts(p, 2);
	nu = sim_reap(&f->g, u, 32);
	assert_int_equal(nu, 2 + 9);
	for (i = 0, sum = 0; i < 2; i++)
		sum += u[i].len;
	assert_int_equal(sum, 12 + 1518);
	for (i = 2, sum = 0; i < 11; i++)
		sum += u[i].len;
	assert_int_equal(sum, 12 + 9000);
	for (i = 0; i < nu; i++)
		assert_true(u[i].len > 0 && u[i].len <= 1024);
	assert_int_equal(rx_collect(&f->g, u, nu, &pos, 12, 2, out), sizeof(f1));
	assert_memory_equal(out, f1, sizeof(f1));
	assert_int_equal(rx_collect(&f->g, u, nu, &pos, 12, 9, out), sizeof(f2));
	assert_memory_equal(out, f2, sizeof(f2));
	check_taken(f, 11, 11);
	assert_int_equal(f->q->stats.packets, 2);
	assert_int_equal(f->q->stats.bytes, 1518 + 9000);

	p[2] = mk_pkt(f3, sizeof(f3), 2048);
	assert_int_equal(enq(f, &p[2], 1), 1);
	rte_pktmbuf_free(p[2]);
	nu = sim_reap(&f->g, u, 32);
	assert_int_equal(nu, 1);
	pos = 0;
	assert_int_equal(rx_collect(&f->g, u, nu, &pos, 12, 1, out), sizeof(f3));
	assert_memory_equal(out, f3, sizeof(f3));
	check_taken(f, 12, 12);
}

/* MRG_RXBUF: a packet needing two buffers with one available waits, nothing published. */
static void
test_rx_mergeable_waits(void **state)
{
	FX;
	static uint8_t f1[1518], out[1600];
	struct rte_mbuf *p;
	struct sim_used u[8];
	uint16_t pos = 0;

	fx_init_at(f, 8, F_V1 | F_MRG, true, 7, true);
	rx_post1(&f->g, 1024);
	sim_publish(&f->g);
	fill_pattern(f1, sizeof(f1), 44);
	p = mk_pkt(f1, sizeof(f1), 2048);
	assert_int_equal(enq(f, &p, 1), 0);
	check_taken(f, 0, 0);
	assert_int_equal(sim_reap(&f->g, u, 8), 0);
	assert_int_equal(f->q->stats.drop_too_big, 0);
	assert_int_equal(f->q->stats.rx_no_buffers, 1);
	assert_int_equal(efd_count(f), 0);
	rx_post1(&f->g, 1024);
	sim_publish(&f->g);
	assert_int_equal(enq(f, &p, 1), 1);
	rte_pktmbuf_free(p);
	assert_int_equal(sim_reap(&f->g, u, 8), 2);
	assert_int_equal(rx_collect(&f->g, u, 2, &pos, 12, 2, out), sizeof(f1));
	assert_memory_equal(out, f1, sizeof(f1));
	check_done(f, 2, 2);
}

static void
test_rx_nonmergeable_chain(void **state)
{
	FX;
	static const uint32_t l1[] = {12, 600, 600, 600};
	static const uint32_t l2[] = {12, 1000, 1000};
	static const uint32_t l3[] = {10, 1514};
	static uint8_t f1[1514], f2[1800], out[2100];
	struct rte_mbuf *p[2];
	struct sim_used u[8];
	uint16_t h[2], pos = 0;

	fx_init_at(f, 16, F_V1 | F_INDIRECT, true, 14, true);
	h[0] = rx_post(&f->g, l1, RTE_DIM(l1), false); /* packed: crosses the ring end */
	h[1] = rx_post(&f->g, l2, RTE_DIM(l2), true);
	sim_publish(&f->g);
	fill_pattern(f1, sizeof(f1), 45);
	fill_pattern(f2, sizeof(f2), 46);
	p[0] = mk_pkt(f1, sizeof(f1), 2048);
	p[1] = mk_pkt(f2, sizeof(f2), 1000);
	assert_int_equal(enq(f, p, 2), 2);
	free_pkts(p, 2);
	assert_int_equal(sim_reap(&f->g, u, 8), 2);
	assert_int_equal(u[0].id, h[0]);
	assert_int_equal(u[0].len, 12 + 1514);
	assert_int_equal(u[1].id, h[1]);
	assert_int_equal(u[1].len, 12 + 1800);
	assert_int_equal(rx_collect(&f->g, u, 2, &pos, 12, 1, out), sizeof(f1));
	assert_memory_equal(out, f1, sizeof(f1));
	assert_int_equal(rx_collect(&f->g, u, 2, &pos, 12, 1, out), sizeof(f2));
	assert_memory_equal(out, f2, sizeof(f2));
	check_done(f, 2, 5);

	/* legacy 10-byte header in its own descriptor */
	fx_init(f, 8, 0, true);
	rx_post(&f->g, l3, RTE_DIM(l3), false);
	sim_publish(&f->g);
	p[0] = mk_pkt(f1, sizeof(f1), 2048);
	assert_int_equal(enq(f, p, 1), 1);
	rte_pktmbuf_free(p[0]);
	assert_int_equal(sim_reap(&f->g, u, 8), 1);
	assert_int_equal(u[0].len, 10 + 1514);
	pos = 0;
	assert_int_equal(rx_collect(&f->g, u, 1, &pos, 10, 1, out), sizeof(f1));
	assert_memory_equal(out, f1, sizeof(f1));
}

static void
test_rx_region_crossing(void **state)
{
	FX;
	const uint32_t l1[] = {1600};
	const uint64_t g1[] = {SIM_R1_GPA - 800};
	const uint64_t g2[] = {SIM_R2_GPA + SIM_R2_SIZE - 1600};
	static uint8_t f1[1500], out[1600];
	struct rte_mbuf *p[2];
	struct sim_used u[8];
	uint16_t pos = 0;

	fx_init(f, 8, F_V1, true);
	rx_post_at(&f->g, l1, g1, 1, false);
	rx_post_at(&f->g, l1, g2, 1, false);
	sim_publish(&f->g);
	fill_pattern(f1, sizeof(f1), 47);
	p[0] = mk_pkt(f1, sizeof(f1), 2048);
	p[1] = mk_pkt(f1, sizeof(f1), 700);
	assert_int_equal(enq(f, p, 2), 2);
	free_pkts(p, 2);
	assert_false(f->q->broken);
	assert_int_equal(sim_reap(&f->g, u, 8), 2);
	assert_int_equal(rx_collect(&f->g, u, 2, &pos, 12, 1, out), sizeof(f1));
	assert_memory_equal(out, f1, sizeof(f1));
	assert_int_equal(rx_collect(&f->g, u, 2, &pos, 12, 1, out), sizeof(f1));
	assert_memory_equal(out, f1, sizeof(f1));
}

/* MRG_RXBUF: a packet larger than the whole ring of buffers is dropped, not waited for */
static void
test_rx_mrg_never_fits(void **state)
{
	FX;
	static uint8_t f1[9000], f2[60], out[100];
	struct sim_used u[8];
	uint16_t i, pos = 0;

	fx_init_at(f, 8, F_V1 | F_MRG, true, 3, true);
	for (i = 0; i < 8; i++)
		rx_post1(&f->g, 1024);
	sim_publish(&f->g);
	enq_big_then_small(f, f1, sizeof(f1), f2, sizeof(f2), 130);
	assert_int_equal(sim_reap(&f->g, u, 8), 1);
	assert_int_equal(rx_collect(&f->g, u, 1, &pos, 12, 1, out), sizeof(f2));
	assert_memory_equal(out, f2, sizeof(f2));
	check_taken(f, 1, 1); /* the other 7 buffers stay posted */
}

static void
test_rx_runt(void **state)
{
	FX;
	uint8_t f2[60], out[64];
	struct rte_mbuf *p[2];
	struct sim_used u[8];
	uint16_t pos = 0;

	fx_init(f, 8, F_V1, true);
	rx_post1(&f->g, 2048);
	rx_post1(&f->g, 2048);
	sim_publish(&f->g);
	fill_pattern(f2, sizeof(f2), 50);
	p[0] = mk_pkt(f2, 0, 2048);
	p[1] = mk_pkt(f2, sizeof(f2), 2048);
	assert_int_equal(enq(f, p, 2), 2);
	free_pkts(p, 2);
	assert_int_equal(f->q->stats.drop_runt, 1);
	assert_int_equal(f->q->stats.packets, 1);
	assert_int_equal(sim_reap(&f->g, u, 8), 1);
	assert_int_equal(rx_collect(&f->g, u, 1, &pos, 12, 1, out), sizeof(f2));
	assert_memory_equal(out, f2, sizeof(f2));
}

static void
test_rx_no_buffers(void **state)
{
	FX;
	uint8_t f1[60], out[64];
	struct rte_mbuf *p;
	struct sim_used u[8];
	uint16_t pos = 0;

	fx_init(f, 8, F_V1 | F_MRG, true);
	fill_pattern(f1, sizeof(f1), 51);
	p = mk_pkt(f1, sizeof(f1), 2048);
	assert_int_equal(enq(f, &p, 1), 0);
	assert_int_equal(f->q->stats.rx_no_buffers, 1);
	rx_post1(&f->g, 2048); /* added, not yet available */
	assert_int_equal(enq(f, &p, 1), 0);
	assert_int_equal(f->q->stats.rx_no_buffers, 2);
	assert_int_equal(f->q->stats.packets, 0);
	assert_int_equal(f->q->stats.drop_too_big, 0);
	check_taken(f, 0, 0);
	assert_int_equal(efd_count(f), 0);
	sim_publish(&f->g);
	assert_int_equal(enq(f, &p, 1), 1);
	rte_pktmbuf_free(p);
	assert_int_equal(sim_reap(&f->g, u, 8), 1);
	assert_int_equal(rx_collect(&f->g, u, 1, &pos, 12, 1, out), sizeof(f1));
	assert_memory_equal(out, f1, sizeof(f1));
}

/* 3 buffers for 5 packets: 3 written, 2 stay with the caller, not dropped (MRG and not). */
static void
test_rx_partial(void **state)
{
	FX;
	static const uint64_t fs[] = {F_V1 | F_MRG, F_V1};
	uint8_t fr[5][100], out[128];
	struct rte_mbuf *p[5];
	struct sim_used u[8];
	unsigned int k;
	uint16_t i, pos;

	for (i = 0; i < 5; i++) {
		fill_pattern(fr[i], 100, 52 + i);
		p[i] = mk_pkt(fr[i], 100, 2048);
	}
	for (k = 0; k < RTE_DIM(fs); k++) {
		fx_init_at(f, 8, fs[k], true, 6, false);
		for (i = 0; i < 3; i++)
			rx_post1(&f->g, 2048);
		sim_publish(&f->g);
		i = enq(f, p, 5);
		if (i != 3) {
			free_pkts(p, 5);
			fail_msg("features 0x%" PRIx64 ": 3 buffers, 5 packets: %u consumed "
				 "(drop_too_big %" PRIu64 "), want 3",
				fs[k], i, f->q->stats.drop_too_big);
		}
		assert_int_equal(f->q->stats.drop_too_big, 0);
		assert_int_equal(sim_reap(&f->g, u, 8), 3);
		pos = 0;
		for (i = 0; i < 3; i++) {
			assert_int_equal(rx_collect(&f->g, u, 3, &pos, 12, 1, out), 100);
			assert_memory_equal(out, fr[i], 100);
		}
		check_taken(f, 3, 3);
		rx_post1(&f->g, 2048);
		rx_post1(&f->g, 2048);
		sim_publish(&f->g);
		assert_int_equal(enq(f, p + 3, 2), 2);
		assert_int_equal(sim_reap(&f->g, u, 8), 2);
		pos = 0;
		for (i = 3; i < 5; i++) {
			assert_int_equal(rx_collect(&f->g, u, 2, &pos, 12, 1, out), 100);
			assert_memory_equal(out, fr[i], 100);
		}
		check_taken(f, 5, 5);
		assert_int_equal(f->q->stats.packets, 5);
	}
	free_pkts(p, 5);
}

/* ------------------------------------------------------------------------ */
/* Frame size limits                                                         */

/* conf.max_frame: longer frames are dropped (counted), their chains consumed. */
static void
test_max_frame_tx(void **state)
{
	FX;
	static uint8_t fr[1515];
	struct rte_mbuf *m[4];
	struct sim_used u[8];

	fx_init(f, 8, F_V1, false);
	f->conf.max_frame = 1514;
	assert_int_equal(vhacc_virtq_setup(f->q, &f->conf), 0);
	fill_pattern(fr, sizeof(fr), 140);
	tx_post(&f->g, 12, fr, 1514, NULL, 0, false);
	tx_post(&f->g, 12, fr, 1515, NULL, 0, false);
	tx_post(&f->g, 12, fr, 60, NULL, 0, false);
	sim_publish(&f->g);
	assert_int_equal(deq(f, m, 4), 2);
	check_mbuf(m[0], fr, 1514);
	check_mbuf(m[1], fr, 60);
	free_pkts(m, 2);
	assert_int_equal(sim_reap(&f->g, u, 8), 3);
	check_done(f, 3, 3);
	assert_int_equal(f->q->stats.drop_over_mtu, 1);
	assert_int_equal(f->q->stats.packets, 2);
	assert_false(f->q->broken);
}

static void
test_max_frame_rx(void **state)
{
	FX;
	static uint8_t fr[1515], out[1600];
	struct rte_mbuf *p[3];
	struct sim_used u[8];
	uint16_t i, pos = 0;

	fx_init(f, 8, F_V1 | F_MRG, true);
	f->conf.max_frame = 1514;
	assert_int_equal(vhacc_virtq_setup(f->q, &f->conf), 0);
	for (i = 0; i < 4; i++)
		rx_post1(&f->g, 2048);
	sim_publish(&f->g);
	fill_pattern(fr, sizeof(fr), 141);
	p[0] = mk_pkt(fr, 1515, 2048);
	p[1] = mk_pkt(fr, 1514, 2048);
	p[2] = mk_pkt(fr, 60, 2048);
	assert_int_equal(enq(f, p, 3), 3);
	free_pkts(p, 3);
	assert_int_equal(f->q->stats.drop_over_mtu, 1);
	assert_int_equal(f->q->stats.packets, 2);
	assert_int_equal(sim_reap(&f->g, u, 8), 2);
	assert_int_equal(rx_collect(&f->g, u, 2, &pos, 12, 1, out), 1514);
	assert_memory_equal(out, fr, 1514);
	assert_int_equal(rx_collect(&f->g, u, 2, &pos, 12, 1, out), 60);
	assert_memory_equal(out, fr, 60);
	check_taken(f, 2, 2);
}

/* A TX frame over 64 KiB is dropped, its chain consumed: the queue does not stall. */
static void
test_tx_oversize_frame(void **state)
{
	FX;
	static const uint32_t lens[] = {12, 35000, 35000};
	static uint8_t big[70000];
	uint8_t small[60];
	struct rte_mbuf *m[4];
	struct sim_used u[8];
	uint16_t n;

	fx_init(f, 8, F_V1, false);
	fill_pattern(big, sizeof(big), 142);
	fill_pattern(small, sizeof(small), 143);
	tx_post(&f->g, 12, big, sizeof(big), lens, RTE_DIM(lens), false);
	tx_post(&f->g, 12, small, sizeof(small), NULL, 0, false);
	sim_publish(&f->g);
	n = deq(f, m, 4);
	assert_false(f->q->broken);
	assert_int_equal(n, 1);
	check_mbuf(m[0], small, sizeof(small));
	free_pkts(m, n);
	assert_int_equal(sim_reap(&f->g, u, 8), 2);
	check_done(f, 2, 4);
	assert_int_equal(f->q->stats.drop_too_big + f->q->stats.drop_over_mtu, 1);
}

/* ------------------------------------------------------------------------ */
/* IN_ORDER                                                                  */

static void
test_in_order_tx(void **state)
{
	FX;
	static const uint32_t l2[] = {12, 50, 50, 100};
	uint8_t frame[200];
	struct rte_mbuf *m[8];
	struct sim_used u[8];
	uint16_t round, i, total = 0, descs = 0;

	fx_init(f, 8, F_V1 | F_IN_ORDER | F_INDIRECT, false);
	for (round = 0; round < BY_RING(8, 16); round++) {
		uint16_t n = 1 + round % 3;

		for (i = 0; i < n; i++) {
			fill_pattern(frame, sizeof(frame), 60 + total + i);
			if (i == 0)
				tx_post(&f->g, 12, frame, sizeof(frame), NULL, 0, false);
			else
				tx_post(&f->g, 12, frame, sizeof(frame), l2, RTE_DIM(l2), i == 2);
			descs += i == 1 ? RTE_DIM(l2) : 1; /* i == 2: an indirect table */
		}
		sim_publish(&f->g);
		assert_int_equal(deq(f, m, 8), n);
		for (i = 0; i < n; i++) {
			fill_pattern(frame, sizeof(frame), 60 + total + i);
			check_mbuf(m[i], frame, sizeof(frame));
		}
		free_pkts(m, n);
#if SIM_PACKED
		f->g.used_descs = 0;
#endif
		assert_int_equal(sim_reap(&f->g, u, 8), n);
#if SIM_PACKED
		/* the burst's TX buffers are marked used by one descriptor */
		assert_int_equal(f->g.used_descs, 1);
#endif
		total += n;
		check_done(f, total, descs);
	}
}

static void
test_in_order_rx(void **state)
{
	FX;
	static uint8_t fr[3][3000], out[3100];
	static const uint32_t len[3] = {60, 1518, 3000};
	static const uint16_t nb[3] = {1, 2, 3};
	struct rte_mbuf *p[3];
	struct sim_used u[16];
	uint16_t round, i, nu, pos;

	fx_init(f, 16, F_V1 | F_MRG | F_IN_ORDER, true);
	for (round = 0; round < 6; round++) {
		while (sim_free_descs(&f->g) > 0)
			rx_post1(&f->g, 1024);
		sim_publish(&f->g);
		for (i = 0; i < 3; i++) {
			fill_pattern(fr[i], len[i], 70 + round * 3 + i);
			p[i] = mk_pkt(fr[i], len[i], 2048);
		}
		assert_int_equal(enq(f, p, 3), 3);
		free_pkts(p, 3);
		nu = sim_reap(&f->g, u, 16);
		assert_int_equal(nu, 6);
		pos = 0;
		for (i = 0; i < 3; i++) {
			assert_int_equal(rx_collect(&f->g, u, nu, &pos, 12, nb[i], out), len[i]);
			assert_memory_equal(out, fr[i], len[i]);
		}
	}
	assert_int_equal(f->q->stats.packets, 18);
}

/* ------------------------------------------------------------------------ */
/* Notifications                                                             */

static void
test_notify_rx(void **state)
{
	FX;
	uint8_t frame[60];
	struct rte_mbuf *p[2];
	struct sim_used u[8];

	fx_init(f, 8, F_V1 | F_MRG, true);
#if !SIM_PACKED
	assert_true(f->g.used->flags & VRING_USED_F_NO_NOTIFY);
#endif
	fill_pattern(frame, sizeof(frame), 81);
	rx_post1(&f->g, 2048);
	rx_post1(&f->g, 2048);
	rx_post1(&f->g, 2048);
	sim_publish(&f->g);
	p[0] = mk_pkt(frame, sizeof(frame), 2048);
	p[1] = mk_pkt(frame, sizeof(frame), 2048);
	assert_int_equal(enq(f, p, 2), 2);
	assert_int_equal(efd_count(f), 1);
#if SIM_PACKED
	drv_event(f, VRING_PACKED_EVENT_FLAG_DISABLE, 0, false);
#else
	f->g.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
#endif
	assert_int_equal(enq(f, p, 1), 1);
	assert_int_equal(efd_count(f), 0);
	assert_int_equal(f->q->stats.notifications, 1);
	assert_int_equal(f->q->stats.notify_suppressed, 1);
	free_pkts(p, 2);
	assert_int_equal(sim_reap(&f->g, u, 8), 3);
}

static void
test_notify_no_callfd(void **state)
{
	FX;

	fx_init(f, 16, F_V1, false);
	f->conf.callfd = -1;
	assert_int_equal(vhacc_virtq_setup(f->q, &f->conf), 0);
	tx_one(f, 1);
	tx_one(f, 2);
	assert_int_equal(efd_count(f), 0);
	assert_int_equal(f->q->stats.notifications, 0);
	assert_int_equal(f->q->stats.notify_suppressed, 2);
}

/* ------------------------------------------------------------------------ */
/* Dirty logging                                                             */

static void
test_log_rx(void **state)
{
	FX;
	static const uint32_t l2[] = {12, 700, 900};
	const uint32_t l3[] = {1600};
	const uint64_t g3[] = {SIM_R1_GPA - 800};
	static uint8_t f1[1518], f2[64], f3[1500];
	struct rte_mbuf *p[3];
	struct sim_used u[16];
	uint16_t i, nu, pos;

	/* mergeable; packed: across the ring end */
	fx_init_at(f, BY_RING(16, 8), F_V1 | F_MRG | F_LOG, true, 6, true);
	for (i = 0; i < 4; i++)
		rx_post1(&f->g, 1024);
	rx_post_at(&f->g, l3, g3, 1, false); /* crosses regions 0/1 */
	sim_publish(&f->g);
	fill_pattern(f1, sizeof(f1), 90);
	fill_pattern(f2, sizeof(f2), 91);
	fill_pattern(f3, sizeof(f3), 92);
	p[0] = mk_pkt(f1, sizeof(f1), 2048);
	p[1] = mk_pkt(f2, sizeof(f2), 2048);
	p[2] = mk_pkt(f3, sizeof(f3), 2048);
	pos = sim_used_pos(&f->g);
	assert_int_equal(enq(f, p, 2), 2);
	nu = sim_reap(&f->g, u, 16);
	assert_int_equal(nu, 3);
	check_rx_logged(f, u, nu);
	check_used_logged(f, pos, u, nu);
	log_reset();
	pos = sim_used_pos(&f->g);
	assert_int_equal(enq(f, p + 2, 1), 1); /* last 1 KB buffer + the crossing one */
	nu = sim_reap(&f->g, u, 16);
	check_rx_logged(f, u, nu);
	check_used_logged(f, pos, u, nu);
	free_pkts(p, 3);

	/* non-mergeable chain */
	fx_init(f, 8, F_V1 | F_LOG, true);
	rx_post(&f->g, l2, RTE_DIM(l2), false);
	sim_publish(&f->g);
	p[0] = mk_pkt(f1, sizeof(f1), 2048);
	assert_int_equal(enq(f, p, 1), 1);
	rte_pktmbuf_free(p[0]);
	nu = sim_reap(&f->g, u, 16);
	assert_int_equal(nu, 1);
	check_rx_logged(f, u, nu);
	check_used_logged(f, 0, u, nu);
}

static void
test_log_off(void **state)
{
	FX;
	uint8_t frame[60];
	struct rte_mbuf *p;
	struct sim_used u[8];

	fx_init(f, 8, F_V1 | F_MRG | F_EVIDX, true);
	rx_post1(&f->g, 1024);
	rx_post1(&f->g, 1024);
	sim_publish(&f->g);
	fill_pattern(frame, sizeof(frame), 93);
	p = mk_pkt(frame, sizeof(frame), 2048);
	assert_int_equal(enq(f, &p, 1), 1);
	rte_pktmbuf_free(p);
	assert_int_equal(sim_reap(&f->g, u, 8), 1);
	assert_int_equal(log_nw, 0);
	assert_int_equal(log_nu, 0);
	fx_init(f, 8, F_V1, false);
	tx_one(f, 2);
	assert_int_equal(log_nw, 0);
	assert_int_equal(log_nu, 0);
}

/* ------------------------------------------------------------------------ */
/* One-copy transfer                                                         */

/* Without mergeable buffers, a frame larger than B's chain is dropped; the chain stays. */
static void
test_xfer_too_big(void **state)
{
	FX;
	struct fx b = {0};
	uint8_t big[1000], small[100], out[1024];
	struct sim_used u[8];
	uint16_t consumed, pos = 0;

	fx_init(f, 16, F_V1, false);
	fx_init(&b, 16, F_V1, true);
	fill_pattern(big, sizeof(big), 45);
	fill_pattern(small, sizeof(small), 46);
	tx_post(&f->g, 12, big, sizeof(big), NULL, 0, false);
	tx_post(&f->g, 12, small, sizeof(small), NULL, 0, false);
	sim_publish(&f->g);
	rx_post1(&b.g, 512);
	sim_publish(&b.g);

	assert_int_equal(xfer(f, &b, 32, &consumed), 1);
	assert_int_equal(consumed, 2);
	assert_int_equal(b.q->stats.drop_too_big, 1);
	assert_int_equal(f->q->stats.packets, 2); /* the sender did send both */
	assert_int_equal(sim_reap(&b.g, u, 8), 1);
	assert_int_equal(rx_collect(&b.g, u, 1, &pos, 12, 1, out), sizeof(small));
	assert_memory_equal(out, small, sizeof(small));
	assert_int_equal(sim_reap(&f->g, u, 8), 2);
	check_done(f, 2, 2);
	check_done(&b, 1, 1);
	fx_fini(&b);
}

/* ------------------------------------------------------------------------ */
/* Misc                                                                      */

static void
test_broken_reason_str(void **state)
{
	const char *s[VHACC_BROKEN_REASON_MAX];
	int i, j;

	(void)state;
	for (i = 0; i < VHACC_BROKEN_REASON_MAX; i++) {
		s[i] = vhacc_virtq_broken_reason_str((enum vhacc_virtq_broken_reason)i);
		assert_non_null(s[i]);
		assert_true(s[i][0] != '\0');
		for (j = 0; j < i; j++)
			if (strcmp(s[i], s[j]) == 0)
				fail_msg("reasons %d and %d are both \"%s\"", i, j, s[i]);
	}
	assert_string_equal(s[VHACC_BROKEN_AVAIL_IDX], "avail_idx");
	assert_string_equal(s[VHACC_BROKEN_DESC_INDEX], "desc_index");
	assert_string_equal(s[VHACC_BROKEN_BUFFER_ID], "buffer_id");
	assert_string_equal(s[VHACC_BROKEN_WRAP], "wrap");
}

#endif /* VHACC_TEST_SIM_CASES_H */
