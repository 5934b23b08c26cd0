/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_TEST_SIM_DATA_H
#define VHACC_TEST_SIM_DATA_H

/*
 * Frames through a simulated guest, for both engines' unit tests: TX and RX
 * chains posted with the driver's sim_add() (defined by the test before it
 * includes this), mbufs built and checked, received packets reassembled
 * from the used entries the driver reaped; the test fixture around them
 * (cmocka setup and teardown: every mbuf back in the pool at the end).
 */

/* Read the first len bytes that the device wrote into the chain of id (split: its head). */
static void
sim_chain_read(const struct sim_guest *g, uint16_t id, uint32_t len, uint8_t *dst)
{
	const struct sim_chain *c = &g->chain[id];
	uint16_t i;

	assert_true(len <= c->total);
	for (i = 0; i < c->nseg && len > 0; i++) {
		uint32_t l = RTE_MIN(len, c->seg[i].len);

		sim_read(g, c->seg[i].gpa, dst, l);
		dst += l;
		len -= l;
	}
}

/* ------------------------------------------------------------------------ */
/* Data helpers                                                              */

static struct rte_mempool *pool;
static uint8_t scratch[1 << 17];
static uint8_t scratch2[1 << 17];

static void
fill_pattern(uint8_t *p, uint32_t len, uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131u + i * 7u + (i >> 8) * 3u + 1u);
}

static uint16_t
hdr_len_of(uint64_t features)
{
	return (features & (F_V1 | F_MRG)) ? 12 : 10;
}

/* Segment i of len bytes: at seg_gpa[i] if the test placed it there, else allocated. */
static struct sim_seg
sim_seg_place(struct sim_guest *g, const uint64_t *seg_gpa, uint16_t i, uint32_t len)
{
	struct sim_seg seg = {.len = len};

	if (seg_gpa != NULL && seg_gpa[i] != 0) {
		seg.gpa = seg_gpa[i];
		sim_unpoison(g, seg.gpa, len);
	} else {
		seg.gpa = sim_alloc(g, len);
	}
	return seg;
}

/*
 * Post a TX chain carrying a zeroed net header of hdr bytes plus frame, split
 * into descriptors of lens[] (NULL: one descriptor). seg_gpa[i] != 0 places
 * that segment at a fixed guest address (else allocated).
 */
static uint16_t
tx_post_at(struct sim_guest *g, uint16_t hdr, const uint8_t *frame, uint32_t flen,
	const uint32_t *lens, const uint64_t *seg_gpa, uint16_t n, bool indirect)
{
	struct sim_seg seg[SIM_MAX_SEGS];
	uint32_t one = hdr + flen, off = 0, total = hdr + flen;
	uint16_t i;

	if (lens == NULL) {
		lens = &one;
		n = 1;
	}
	memset(scratch2, 0, hdr);
	memcpy(scratch2 + hdr, frame, flen);
	for (i = 0; i < n; i++) {
		seg[i] = sim_seg_place(g, seg_gpa, i, lens[i]);
		sim_write(g, seg[i].gpa, scratch2 + off, lens[i]);
		off += lens[i];
	}
	assert_int_equal(off, total);
	return sim_add(g, seg, n, false, indirect);
}

static uint16_t
tx_post(struct sim_guest *g, uint16_t hdr, const uint8_t *frame, uint32_t flen,
	const uint32_t *lens, uint16_t n, bool indirect)
{
	return tx_post_at(g, hdr, frame, flen, lens, NULL, n, indirect);
}

/* Post an RX chain of write-only buffers of lens[], pre-filled with 0xAA. */
static uint16_t
rx_post_at(struct sim_guest *g, const uint32_t *lens, const uint64_t *seg_gpa, uint16_t n,
	bool indirect)
{
	struct sim_seg seg[SIM_MAX_SEGS];
	uint16_t i;

	for (i = 0; i < n; i++) {
		seg[i] = sim_seg_place(g, seg_gpa, i, lens[i]);
		memset(scratch2, 0xaa, lens[i]);
		sim_write(g, seg[i].gpa, scratch2, lens[i]);
	}
	return sim_add(g, seg, n, true, indirect);
}

static uint16_t
rx_post(struct sim_guest *g, const uint32_t *lens, uint16_t n, bool indirect)
{
	return rx_post_at(g, lens, NULL, n, indirect);
}

static uint16_t
rx_post1(struct sim_guest *g, uint32_t len)
{
	return rx_post(g, &len, 1, false);
}

/* An mbuf (chained in segments of seglen bytes) holding data. */
static struct rte_mbuf *
mk_pkt(const uint8_t *data, uint32_t len, uint32_t seglen)
{
	struct rte_mbuf *head = NULL;
	uint32_t off = 0;

	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint32_t l = RTE_MIN(len - off, seglen);

		assert_non_null(m);
		if (l > 0) {
			char *p = rte_pktmbuf_append(m, (uint16_t)l);

			assert_non_null(p);
			memcpy(p, data + off, l);
		}
		off += l;
		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
	} while (off < len);
	return head;
}

static void
check_mbuf(const struct rte_mbuf *m, const uint8_t *data, uint32_t len)
{
	const struct rte_mbuf *s;
	const char *why = NULL;
	uint32_t off = 0;
	uint16_t segs = 0;

	assert_non_null(m);
	if (rte_mbuf_check(m, 1, &why) != 0)
		fail_msg("bad mbuf: %s", why);
	assert_int_equal(m->pkt_len, len);
	for (s = m; s != NULL; s = s->next) {
		assert_true(off + s->data_len <= len);
		if (s->data_len > 0)
			assert_memory_equal(
				rte_pktmbuf_mtod(s, const uint8_t *), data + off, s->data_len);
		off += s->data_len;
		segs++;
	}
	assert_int_equal(off, len);
	assert_int_equal(segs, m->nb_segs);
}

/*
 * Reassemble the received packet that starts at used entry *pos: check the
 * header (all zero except num_buffers) and return the frame length; the
 * frame is copied to out. want_nbufs 0: do not check num_buffers.
 */
static uint32_t
rx_collect(struct sim_guest *g, const struct sim_used *u, uint16_t nu, uint16_t *pos, uint16_t hdr,
	uint16_t want_nbufs, uint8_t *out)
{
	uint16_t nbufs = 1, k;
	uint32_t total = 0;

	assert_true(*pos < nu);
	sim_chain_read(g, u[*pos].id, u[*pos].len, scratch);
	total = u[*pos].len;
	assert_true(total >= hdr);
	if (hdr == 12)
		nbufs = (uint16_t)(scratch[10] | scratch[11] << 8);
	if (want_nbufs != 0)
		assert_int_equal(nbufs, want_nbufs);
	assert_true(nbufs >= 1 && *pos + nbufs <= nu);
	for (k = 1; k < nbufs; k++) {
		const struct sim_used *e = &u[*pos + k];

		assert_true(total + e->len <= sizeof(scratch));
		sim_chain_read(g, e->id, e->len, scratch + total);
		total += e->len;
	}
	*pos += nbufs;
	for (k = 0; k < RTE_MIN(hdr, 10); k++)
		if (scratch[k] != 0)
			fail_msg("virtio-net header byte %u is 0x%02x, want 0", k, scratch[k]);
	memcpy(out, scratch + hdr, total - hdr);
	return total - hdr;
}

/* ------------------------------------------------------------------------ */
/* Fixture: a simulated guest and the engine's queue on it (the test's      */
/* fx_init sets them up; sim_fini is the driver's)                           */

struct fx {
	struct sim_guest g;
	struct vhacc_virtq *q;
	struct vhacc_virtq_conf conf;
	int efd;
	const void *arg;
	unsigned int pool_start; /* free mbufs when the test started */
};

static void
fx_fini(struct fx *f)
{
	if (f->q == NULL)
		return;
	free(f->q);
	f->q = NULL;
	close(f->efd);
	sim_fini(&f->g);
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->arg = *state;
	f->pool_start = rte_mempool_avail_count(pool);
	*state = f;
	log_reset();
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;
	unsigned int start = f->pool_start;

	fx_fini(f);
	free(f);
	/* every mbuf the engine handed out or took must be back */
	assert_int_equal(rte_mempool_avail_count(pool), start);
	return 0;
}

static uint64_t
efd_count(struct fx *f)
{
	uint64_t v;

	if (read(f->efd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;
	return v;
}

static uint16_t
held(struct fx *f)
{
	struct vhacc_virtq_held h[64];

	return vhacc_virtq_held(f->q, h, RTE_DIM(h));
}

/*
 * cmocka group setup for a test program: EAL without hugepages, shared
 * configuration or telemetry, and the mbuf pool. file_prefix: the program's own.
 */
static int
sim_group_setup(const char *file_prefix)
{
	/* --no-huge implies legacy memory, which EAL refuses with --in-memory: use --no-shconf */
	char *argv[] = {(char *)"test", (char *)"--no-huge", (char *)"-m", (char *)"64",
		(char *)"--no-pci", (char *)"--no-shconf", (char *)"--no-telemetry",
		(char *)"--file-prefix", (char *)file_prefix, (char *)"--log-level",
		(char *)"error"};

	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return -1;
	pool = rte_pktmbuf_pool_create(
		"ut_virtq", NB_MBUF, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return pool == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}

/* A case with a fresh fixture; a hostile-ring case with its description hc_<name>. */
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
#define H(name)                                                                                    \
	cmocka_unit_test_prestate_setup_teardown(                                                  \
		test_hostile_##name, fx_setup, fx_teardown, (void *)(uintptr_t)&hc_##name)

#endif /* VHACC_TEST_SIM_DATA_H */
