/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the virtio-net offload codec and its software fallbacks
 * (lib/virtq/virtq_net_hdr.c): guest TX headers -> mbuf offload flags, mbuf
 * flags -> guest RX headers, software checksums and TCP segmentation,
 * checked against a reference checksum computed here byte by byte; and, on a
 * small simulated split ring, that the engine drops a bad TX header
 * (drop_bad_hdr) and writes the right RX header or segments.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <netinet/in.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vhacc_net_offload.h"
#include "vhacc_virtq.h"
#include "virtq_net_hdr.h"

#define FEAT(b)      (1ULL << (b))
#define F_V1         FEAT(VIRTIO_F_VERSION_1)
#define F_MRG        FEAT(VIRTIO_NET_F_MRG_RXBUF)
#define F_CSUM       FEAT(VIRTIO_NET_F_CSUM)
#define F_GUEST_CSUM FEAT(VIRTIO_NET_F_GUEST_CSUM)
#define F_HOST_TSO4  FEAT(VIRTIO_NET_F_HOST_TSO4)
#define F_HOST_TSO6  FEAT(VIRTIO_NET_F_HOST_TSO6)
#define F_GUEST_TSO4 FEAT(VIRTIO_NET_F_GUEST_TSO4)
#define F_GUEST_TSO6 FEAT(VIRTIO_NET_F_GUEST_TSO6)
#define F_HOST_ALL   (F_CSUM | F_HOST_TSO4 | F_HOST_TSO6)
#define F_GUEST_ALL  (F_GUEST_CSUM | F_GUEST_TSO4 | F_GUEST_TSO6)

#define NB_MBUF   8192
#define MAX_FRAME 70000

static struct rte_mempool *pool;

/* ------------------------------------------------------------------------ */
/* Reference checksums (big-endian words, byte by byte)                      */

static uint32_t
ref_sum(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += ((uint32_t)p[i] << 8) | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* A frame as built by the test, with where its headers are. */
struct frame {
	uint8_t b[MAX_FRAME];
	uint32_t len;
	uint32_t l2, l3, l4; /* header lengths */
	bool v6;
	uint8_t proto;
	uint32_t payload;
};

static uint32_t
get16(const uint8_t *p)
{
	return ((uint32_t)p[0] << 8) | p[1];
}

static uint32_t
get32(const uint8_t *p)
{
	return (get16(p) << 16) | get16(p + 2);
}

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Pseudo-header sum of the IP header at ip for the given L4 length. */
static uint32_t
ref_phdr(const uint8_t *ip, bool v6, uint8_t proto, uint32_t l4len)
{
	uint32_t s = v6 ? ref_sum(ip + 8, 32, 0) : ref_sum(ip + 12, 8, 0);

	return s + proto + l4len;
}

/* L4 length by the IP header. */
static uint32_t
ip_l4len(const uint8_t *ip, bool v6, uint32_t l3)
{
	return v6 ? get16(ip + 4) + 40 - l3 : get16(ip + 2) - l3;
}

/* Is the L4 checksum of the frame in buf (headers as f says) correct? */
static bool
ref_l4_ok(const uint8_t *buf, uint32_t l2, uint32_t l3, bool v6, uint8_t proto)
{
	const uint8_t *ip = buf + l2;
	uint32_t l4len = ip_l4len(ip, v6, l3);

	return ref_fold(ref_sum(buf + l2 + l3, l4len, ref_phdr(ip, v6, proto, l4len))) == 0xffff;
}

static bool
ref_ip4_ok(const uint8_t *ip, uint32_t l3)
{
	return ref_fold(ref_sum(ip, l3, 0)) == 0xffff;
}

/*
 * Build Ethernet [VLAN] IPv4/IPv6, TCP (tcp_opt option bytes) or UDP or
 * another protocol, payload bytes of a pattern. The L4 checksum field holds
 * the pseudo-header sum, as a Linux guest leaves it with NEEDS_CSUM.
 */
static void
build(struct frame *f, bool v6, bool vlan, uint8_t proto, uint32_t payload, uint32_t tcp_opt,
	uint8_t tcp_flags)
{
	uint8_t *p = f->b, *ip, *l4;
	uint32_t i, l4hdr;

	memset(f, 0, sizeof(*f));
	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	p += 12;
	if (vlan) {
		put16(p, 0x8100);
		put16(p + 2, 42);
		p += 4;
	}
	put16(p, v6 ? 0x86dd : 0x0800);
	p += 2;
	f->l2 = (uint32_t)(p - f->b);
	f->v6 = v6;
	f->proto = proto;
	f->l3 = v6 ? 40 : 20;
	l4hdr = proto == IPPROTO_TCP ? 20 + tcp_opt : proto == IPPROTO_UDP ? 8 : 8;
	f->l4 = l4hdr;
	f->payload = payload;
	ip = p;
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, l4hdr + payload);
		ip[6] = proto;
		ip[7] = 64;
		ip[8] = 0xfe;
		ip[9] = 0x80;
		ip[23] = 1;
		ip[24] = 0xfe;
		ip[25] = 0x80;
		ip[39] = 2;
	} else {
		ip[0] = 0x45;
		put16(ip + 2, 20 + l4hdr + payload);
		put16(ip + 4, 0x1234);
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
		put16(ip + 10, (uint16_t)~ref_fold(ref_sum(ip, 20, 0)));
	}
	l4 = ip + f->l3;
	put16(l4, 40000);
	put16(l4 + 2, 5201);
	if (proto == IPPROTO_TCP) {
		put16(l4 + 4, 0x1000);
		put16(l4 + 6, 0x0001); /* seq 0x10000001 */
		put16(l4 + 8, 0x2000);
		l4[12] = (uint8_t)(((20 + tcp_opt) / 4) << 4);
		l4[13] = tcp_flags;
		put16(l4 + 14, 512);
		for (i = 0; i < tcp_opt; i++)
			l4[20 + i] = 1; /* NOP */
		put16(l4 + 16, ref_fold(ref_phdr(ip, v6, proto, l4hdr + payload)));
	} else if (proto == IPPROTO_UDP) {
		put16(l4 + 4, 8 + payload);
		put16(l4 + 6, ref_fold(ref_phdr(ip, v6, proto, l4hdr + payload)));
	}
	for (i = 0; i < payload; i++)
		l4[l4hdr + i] = (uint8_t)(i * 7 + 3);
	f->len = f->l2 + f->l3 + l4hdr + payload;
}

/* An mbuf chain holding buf[0..len), seg bytes per mbuf at most. */
static struct rte_mbuf *
mk_mbuf(const uint8_t *buf, uint32_t len, uint32_t seg)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *t = m;
	uint32_t off = 0;

	assert_non_null(m);
	while (off < len) {
		uint32_t k = RTE_MIN(len - off, seg);

		k = RTE_MIN(k, (uint32_t)rte_pktmbuf_tailroom(t));
		if (k == 0) {
			struct rte_mbuf *n = rte_pktmbuf_alloc(pool);

			assert_non_null(n);
			t->next = n;
			t = n;
			m->nb_segs++;
			continue;
		}
		memcpy(rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len), buf + off, k);
		t->data_len += k;
		m->pkt_len += k;
		off += k;
		if (off < len && t->data_len >= seg) {
			struct rte_mbuf *n = rte_pktmbuf_alloc(pool);

			assert_non_null(n);
			t->next = n;
			t = n;
			m->nb_segs++;
		}
	}
	return m;
}

static void
mbuf_bytes(const struct rte_mbuf *m, uint8_t *out)
{
	const struct rte_mbuf *s;
	uint32_t off = 0;

	for (s = m; s != NULL; s = s->next) {
		memcpy(out + off, rte_pktmbuf_mtod(s, const uint8_t *), s->data_len);
		off += s->data_len;
	}
	assert_int_equal(off, m->pkt_len);
}

static struct vhacc_virtq *
mkq(uint64_t features)
{
	struct vhacc_virtq *q = calloc(1, vhacc_virtq_alloc_size(16));

	assert_non_null(q);
	q->features = features;
	return q;
}

static struct virtio_net_hdr
csum_hdr(uint32_t start, uint32_t off)
{
	return (struct virtio_net_hdr){
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.csum_start = (uint16_t)start,
		.csum_offset = (uint16_t)off,
	};
}

static struct virtio_net_hdr
tso_hdr(const struct frame *f, uint8_t type, uint32_t mss)
{
	struct virtio_net_hdr h = csum_hdr(f->l2 + f->l3, 16);

	h.gso_type = type;
	h.gso_size = (uint16_t)mss;
	h.hdr_len = (uint16_t)(f->l2 + f->l3 + f->l4);
	return h;
}

static struct frame fa, fb;
static uint8_t out[MAX_FRAME];

/* virtq_net_hdr_pass() on frame f, given its first 256 bytes, as the one-copy transfer does. */
static int
pass(const struct vhacc_virtq *q, const struct virtio_net_hdr *h, const struct frame *f,
	struct virtio_net_hdr *o, uint32_t *wire)
{
	struct virtio_net_hdr tmp;
	uint32_t w;

	return virtq_net_hdr_pass(
		q, h, f->b, RTE_MIN(f->len, 256u), f->len, o ? o : &tmp, wire ? wire : &w);
}

/* ------------------------------------------------------------------------ */
/* Guest TX: header -> mbuf                                                  */

static void
test_tx_csum_tcp4(void **state)
{
	struct vhacc_virtq *q = mkq(F_CSUM);
	struct virtio_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fa, false, false, IPPROTO_TCP, 100, 12, 0x18);
	m = mk_mbuf(fa.b, fa.len, 4096);
	h = csum_hdr(34, 16);
	assert_int_equal(virtq_net_hdr_to_mbuf(q, &h, m), 0);
	assert_int_equal(m->ol_flags & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG),
		RTE_MBUF_F_TX_TCP_CKSUM);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_IPV4);
	assert_int_equal(m->l2_len, 14);
	assert_int_equal(m->l3_len, 20);
	assert_int_equal(m->l4_len, 32);
	mbuf_bytes(m, out);
	assert_memory_equal(out, fa.b, fa.len); /* the data is left for the destination */
	/* and the destination's software path finishes it correctly */
	assert_int_equal(vhacc_net_cksum_sw(m), 0);
	assert_int_equal(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, 0);
	mbuf_bytes(m, out);
	assert_true(ref_l4_ok(out, 14, 20, false, IPPROTO_TCP));
	rte_pktmbuf_free(m);
	free(q);
}

static void
test_tx_csum_udp6(void **state)
{
	struct vhacc_virtq *q = mkq(F_CSUM);
	struct virtio_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fa, true, false, IPPROTO_UDP, 333, 0, 0);
	m = mk_mbuf(fa.b, fa.len, 4096);
	h = csum_hdr(54, 6);
	assert_int_equal(virtq_net_hdr_to_mbuf(q, &h, m), 0);
	assert_int_equal(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_UDP_CKSUM);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_IPV6);
	assert_int_equal(m->l2_len, 14);
	assert_int_equal(m->l3_len, 40);
	assert_int_equal(m->l4_len, 8);
	assert_int_equal(vhacc_net_cksum_sw(m), 0);
	mbuf_bytes(m, out);
	assert_true(ref_l4_ok(out, 14, 40, true, IPPROTO_UDP));
	rte_pktmbuf_free(m);
	free(q);
}

static void
test_tx_csum_vlan_multiseg(void **state)
{
	struct vhacc_virtq *q = mkq(F_CSUM);
	struct virtio_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fa, false, true, IPPROTO_TCP, 3001, 0, 0x10);
	m = mk_mbuf(fa.b, fa.len, 61); /* odd segment sizes: headers and field split */
	assert_true(m->nb_segs > 10);
	h = csum_hdr(38, 16);
	assert_int_equal(virtq_net_hdr_to_mbuf(q, &h, m), 0);
	assert_int_equal(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_TCP_CKSUM);
	assert_int_equal(m->l2_len, 18);
	assert_int_equal(m->l3_len, 20);
	assert_int_equal(vhacc_net_cksum_sw(m), 0);
	mbuf_bytes(m, out);
	assert_true(ref_l4_ok(out, 18, 20, false, IPPROTO_TCP));
	rte_pktmbuf_free(m);
	free(q);
}

/* NEEDS_CSUM on something that is not TCP/UDP at the parsed L4: done in software now. */
static void
test_tx_csum_other_sw(void **state)
{
	struct vhacc_virtq *q = mkq(F_CSUM);
	struct virtio_net_hdr h;
	struct rte_mbuf *m;
	uint32_t seed, i;

	(void)state;
	for (i = 0; i < 2; i++) {
		/* i = 0: protocol 253 (experimental) with a checksum at +2;
		 * i = 1: TCP but the guest put the checksum at +6 */
		build(&fa, false, false, i == 0 ? 253 : IPPROTO_TCP, 777, 0, 0);
		h = csum_hdr(34, i == 0 ? 2 : 6);
		seed = 0xbeef;
		put16(fa.b + 34 + h.csum_offset, seed);
		m = mk_mbuf(fa.b, fa.len, i == 0 ? 4096 : 35);
		assert_int_equal(virtq_net_hdr_to_mbuf(q, &h, m), 0);
		assert_int_equal(m->ol_flags, 0);
		mbuf_bytes(m, out);
		/* the seed plus the sum over [csum_start, end) is now all ones */
		assert_int_equal(ref_fold(ref_sum(out + 34, fa.len - 34, seed)), 0xffff);
		assert_memory_equal(out, fa.b, 34 + h.csum_offset);
		rte_pktmbuf_free(m);
	}
	free(q);
}

static void
test_tx_tso4(void **state)
{
	struct vhacc_virtq *q = mkq(F_CSUM | F_HOST_TSO4);
	struct virtio_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fa, false, false, IPPROTO_TCP, 20000, 12, 0x18);
	m = mk_mbuf(fa.b, fa.len, 2048);
	h = tso_hdr(&fa, VIRTIO_NET_HDR_GSO_TCPV4, 1448);
	h.hdr_len = 128; /* Linux sends its linear length here: a hint only */
	assert_int_equal(virtq_net_hdr_to_mbuf(q, &h, m), 0);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_IPV4);
	assert_int_equal(m->tso_segsz, 1448);
	assert_int_equal(m->l2_len, 14);
	assert_int_equal(m->l3_len, 20);
	assert_int_equal(m->l4_len, 32);
	assert_int_equal(virtq_net_wire_len(m), 14 + 20 + 32 + 1448);
	rte_pktmbuf_free(m);
	free(q);
}

static void
test_tx_tso6(void **state)
{
	struct vhacc_virtq *q = mkq(F_CSUM | F_HOST_TSO6);
	struct virtio_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fa, true, true, IPPROTO_TCP, 9000, 0, 0x10);
	m = mk_mbuf(fa.b, fa.len, 2048);
	h = tso_hdr(&fa, VIRTIO_NET_HDR_GSO_TCPV6, 1000);
	assert_int_equal(virtq_net_hdr_to_mbuf(q, &h, m), 0);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_IPV6);
	assert_int_equal(m->tso_segsz, 1000);
	assert_int_equal(m->l2_len, 18);
	assert_int_equal(m->l3_len, 40);
	assert_int_equal(m->l4_len, 20);
	rte_pktmbuf_free(m);
	free(q);
}

/* A GSO header on a frame with at most one segment of payload: just a checksum offload. */
static void
test_tx_tso_one_segment(void **state)
{
	struct vhacc_virtq *q = mkq(F_CSUM | F_HOST_TSO4);
	struct virtio_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fa, false, false, IPPROTO_TCP, 1448, 0, 0x18);
	m = mk_mbuf(fa.b, fa.len, 4096);
	h = tso_hdr(&fa, VIRTIO_NET_HDR_GSO_TCPV4, 1448);
	assert_int_equal(virtq_net_hdr_to_mbuf(q, &h, m), 0);
	assert_false(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_int_equal(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_TCP_CKSUM);
	rte_pktmbuf_free(m);
	free(q);
}

/* Without flags and gso_type, the other fields are ignored, with or without features. */
static void
test_tx_plain_ignores_fields(void **state)
{
	struct virtio_net_hdr h = {
		.csum_start = 0xffff, .csum_offset = 0xffff, .gso_size = 0xffff, .hdr_len = 0xffff};
	uint64_t fs[2] = {F_V1, F_V1 | F_HOST_ALL};
	struct rte_mbuf *m;
	int i;

	(void)state;
	build(&fa, false, false, IPPROTO_TCP, 10, 0, 0);
	for (i = 0; i < 2; i++) {
		struct vhacc_virtq *q = mkq(fs[i]);

		m = mk_mbuf(fa.b, fa.len, 4096);
		assert_int_equal(virtq_net_hdr_to_mbuf(q, &h, m), 0);
		assert_int_equal(virtq_net_hdr_apply(q, &h, m), 0);
		assert_int_equal(m->ol_flags, 0);
		rte_pktmbuf_free(m);
		free(q);
	}
}

struct bad_case {
	const char *name;
	uint64_t features;
	bool v6;
	uint8_t proto;
	uint32_t payload;
	struct virtio_net_hdr h; /* a zero csum_start means "the frame's L4 offset" */
	int fix;                 /* frame change: 1 IP length shorter than the frame */
};

#define TCP4_L4 34
#define TCP6_L4 54

static void
test_tx_bad_headers(void **state)
{
	const struct bad_case cases[] = {
		{"csum without CSUM", F_HOST_TSO4, false, IPPROTO_TCP, 100,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, TCP4_L4, 16}, 0},
		{"no features at all", 0, false, IPPROTO_TCP, 100,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, TCP4_L4, 16}, 0},
		{"gso without HOST_TSO4", F_CSUM | F_HOST_TSO6, false, IPPROTO_TCP, 5000,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, TCP4_L4,
				16},
			0},
		{"gso without CSUM", F_HOST_TSO4, false, IPPROTO_TCP, 5000,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, TCP4_L4,
				16},
			0},
		{"gso without NEEDS_CSUM", F_HOST_ALL, false, IPPROTO_TCP, 5000,
			{0, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 0, 0}, 0},
		{"TCPV4 on IPv6", F_HOST_ALL, true, IPPROTO_TCP, 5000,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 74, 1448, TCP6_L4,
				16},
			0},
		{"TCPV6 on IPv4", F_HOST_ALL, false, IPPROTO_TCP, 5000,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, 54, 1448, TCP4_L4,
				16},
			0},
		{"GSO_UDP", F_HOST_ALL, false, IPPROTO_UDP, 5000,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP, 42, 1448, TCP4_L4, 6},
			0},
		{"TCPV4 on UDP", F_HOST_ALL, false, IPPROTO_UDP, 5000,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 42, 1448, TCP4_L4,
				6},
			0},
		{"ECN without HOST_ECN", F_HOST_ALL, false, IPPROTO_TCP, 5000,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM,
				VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 54, 1448,
				TCP4_L4, 16},
			0},
		{"gso_size 0", F_HOST_ALL, false, IPPROTO_TCP, 5000,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 0, TCP4_L4, 16},
			0},
		{"gso_size + headers over 64 KiB", F_HOST_ALL, false, IPPROTO_TCP, 5000,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 65500, TCP4_L4,
				16},
			0},
		{"hdr_len beyond the frame", F_HOST_ALL, false, IPPROTO_TCP, 5000,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 6000, 1448, TCP4_L4,
				16},
			0},
		{"gso csum not at the TCP checksum", F_HOST_ALL, false, IPPROTO_TCP, 5000,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, TCP4_L4,
				6},
			0},
		{"gso csum_start not at L4", F_HOST_ALL, false, IPPROTO_TCP, 5000,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 30, 16},
			0},
		{"gso IP length shorter than the frame", F_HOST_ALL, false, IPPROTO_TCP, 5000,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, TCP4_L4,
				16},
			1},
		{"DATA_VALID from a driver", F_HOST_ALL, false, IPPROTO_TCP, 100,
			{VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0}, 0},
		{"NEEDS_CSUM|DATA_VALID", F_HOST_ALL, false, IPPROTO_TCP, 100,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0,
				TCP4_L4, 16},
			0},
		{"unknown flag", F_HOST_ALL, false, IPPROTO_TCP, 100, {0x80, 0, 0, 0, 0, 0}, 0},
		{"gso_type without CSUM and without flags", 0, false, IPPROTO_TCP, 5000,
			{0, VIRTIO_NET_HDR_GSO_TCPV4, 0, 0, 0, 0}, 0},
		{"csum_start beyond the frame", F_CSUM, false, IPPROTO_TCP, 100,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 5000, 0}, 0},
		{"csum_start inside L2", F_CSUM, false, IPPROTO_TCP, 100,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 13, 16}, 0},
		{"csum field at the last byte", F_CSUM, false, IPPROTO_TCP, 100,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, TCP4_L4, 20 + 100 - 1}, 0},
		{"csum_offset overflow", F_CSUM, false, IPPROTO_TCP, 100,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, TCP4_L4, 0xffff}, 0},
		{"csum_start and offset max", F_CSUM, false, IPPROTO_TCP, 100,
			{VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 0xffff, 0xffff}, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < RTE_DIM(cases); i++) {
		const struct bad_case *c = &cases[i];
		struct vhacc_virtq *q = mkq(c->features | F_V1);
		struct virtio_net_hdr h = c->h;
		struct rte_mbuf *m;

		build(&fa, c->v6, false, c->proto, c->payload, 0, 0x10);
		if (c->fix == 1)
			put16(fa.b + 14 + 2, get16(fa.b + 14 + 2) - 10);
		m = mk_mbuf(fa.b, fa.len, 2048);
		if (virtq_net_hdr_to_mbuf(q, &h, m) != -1)
			fail_msg("case '%s' accepted", c->name);
		/* the one-copy transfer's check refuses it too */
		if (pass(q, &h, &fa, NULL, NULL) != -1)
			fail_msg("case '%s' passed on", c->name);
		rte_pktmbuf_free(m);
		free(q);
	}
}

/* The boundary just inside: the checksum field ending at the last byte is fine. */
static void
test_tx_csum_at_end(void **state)
{
	struct vhacc_virtq *q = mkq(F_CSUM);
	struct virtio_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fa, false, false, 253, 100, 0, 0);
	h = csum_hdr(34, 8 + 100 - 2);
	m = mk_mbuf(fa.b, fa.len, 4096);
	assert_int_equal(virtq_net_hdr_to_mbuf(q, &h, m), 0);
	mbuf_bytes(m, out);
	/* the field's former content is the seed */
	assert_int_equal(ref_fold(ref_sum(out + 34, fa.len - 34, get16(fa.b + 34 + 106))), 0xffff);
	rte_pktmbuf_free(m);
	free(q);
}

/* ------------------------------------------------------------------------ */
/* Guest TX -> guest RX header, for the one-copy transfer                    */

/* TSO over IPv4 and IPv6 (VLAN): GSO for the receiver with the parsed header length. */
static void
test_pass_tso(void **state)
{
	struct vhacc_virtq *q = mkq(F_CSUM | F_HOST_TSO4 | F_HOST_TSO6);
	struct virtio_net_hdr h, o;
	uint32_t wire;

	(void)state;
	build(&fa, false, false, IPPROTO_TCP, 20000, 12, 0x18);
	h = tso_hdr(&fa, VIRTIO_NET_HDR_GSO_TCPV4, 1448);
	h.hdr_len = 128; /* Linux's linear length: a hint only */
	assert_int_equal(pass(q, &h, &fa, &o, &wire), 0);
	assert_int_equal(o.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(o.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(o.gso_size, 1448);
	assert_int_equal(o.hdr_len, 14 + 20 + 32);
	assert_int_equal(o.csum_start, 14 + 20);
	assert_int_equal(o.csum_offset, 16);
	assert_int_equal(wire, 14 + 20 + 32 + 1448);

	build(&fa, true, true, IPPROTO_TCP, 9000, 0, 0x10);
	h = tso_hdr(&fa, VIRTIO_NET_HDR_GSO_TCPV6, 1000);
	assert_int_equal(pass(q, &h, &fa, &o, &wire), 0);
	assert_int_equal(o.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	assert_int_equal(o.hdr_len, 18 + 40 + 20);
	assert_int_equal(wire, 18 + 40 + 20 + 1000);
	free(q);
}

/* Checksum requests pass on unchanged; a GSO frame of one segment becomes one. */
static void
test_pass_csum(void **state)
{
	struct vhacc_virtq *q = mkq(F_CSUM | F_HOST_TSO4);
	struct virtio_net_hdr h, o;
	uint32_t wire;

	(void)state;
	build(&fa, true, false, IPPROTO_UDP, 300, 0, 0);
	h = csum_hdr(fa.l2 + fa.l3, 6);
	assert_int_equal(pass(q, &h, &fa, &o, &wire), 0);
	assert_memory_equal(&o, &h, sizeof(h));
	assert_int_equal(wire, fa.len);

	/* another protocol: the receiver completes the checksum where asked */
	build(&fa, false, false, 47, 100, 0, 0);
	h = csum_hdr(fa.l2 + fa.l3, 2);
	assert_int_equal(pass(q, &h, &fa, &o, &wire), 0);
	assert_memory_equal(&o, &h, sizeof(h));

	build(&fa, false, false, IPPROTO_TCP, 1448, 0, 0x18);
	h = tso_hdr(&fa, VIRTIO_NET_HDR_GSO_TCPV4, 1448);
	assert_int_equal(pass(q, &h, &fa, &o, &wire), 0);
	assert_int_equal(o.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(o.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(o.gso_size, 0);
	assert_int_equal(wire, fa.len);

	/* headers cut short by the copy: a GSO frame cannot be checked, dropped */
	build(&fa, false, false, IPPROTO_TCP, 5000, 0, 0x18);
	h = tso_hdr(&fa, VIRTIO_NET_HDR_GSO_TCPV4, 1448);
	assert_int_equal(virtq_net_hdr_pass(q, &h, fa.b, 40, fa.len, &o, &wire), -1);
	free(q);
}

/* ------------------------------------------------------------------------ */
/* Guest RX: mbuf -> header                                                  */

static struct rte_mbuf *
offloaded(const struct frame *f, uint64_t l4flag, uint32_t seg)
{
	struct rte_mbuf *m = mk_mbuf(f->b, f->len, seg);

	m->ol_flags = l4flag | (f->v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4);
	m->l2_len = f->l2;
	m->l3_len = f->l3;
	m->l4_len = f->l4;
	return m;
}

static void
test_rx_csum_to_needs_csum(void **state)
{
	struct vhacc_virtq *q = mkq(F_V1 | F_GUEST_CSUM);
	struct virtio_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fa, false, false, IPPROTO_UDP, 500, 0, 0);
	m = offloaded(&fa, RTE_MBUF_F_TX_UDP_CKSUM, 4096);
	virtq_net_hdr_fill(q, m, &h);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, 34);
	assert_int_equal(h.csum_offset, 6);
	assert_int_equal(h.gso_type, 0);
	mbuf_bytes(m, out);
	assert_memory_equal(out, fa.b, fa.len);
	assert_false(virtq_net_hdr_rx_needs_gso(q, m));
	rte_pktmbuf_free(m);
	free(q);
}

static void
test_rx_csum_sw(void **state)
{
	struct vhacc_virtq *q = mkq(F_V1 | F_MRG);
	struct virtio_net_hdr h, zero = {0};
	struct rte_mbuf *m;
	int pass;

	(void)state;
	for (pass = 0; pass < 4; pass++) {
		bool v6 = pass & 1, udp = pass & 2;

		build(&fa, v6, false, udp ? IPPROTO_UDP : IPPROTO_TCP, 1001, 0, 0x10);
		m = offloaded(&fa, udp ? RTE_MBUF_F_TX_UDP_CKSUM : RTE_MBUF_F_TX_TCP_CKSUM, 77);
		virtq_net_hdr_from_mbuf(q, m, &h);
		assert_memory_equal(&h, &zero, sizeof(h));
		mbuf_bytes(m, out);
		assert_true(ref_l4_ok(out, fa.l2, fa.l3, v6, fa.proto));
		assert_memory_equal(out, fa.b, fa.l2 + fa.l3 + (udp ? 6 : 16));
		/* a second call (the packet was retried) writes the same bytes */
		virtq_net_hdr_from_mbuf(q, m, &h);
		mbuf_bytes(m, fb.b);
		assert_memory_equal(out, fb.b, fa.len);
		rte_pktmbuf_free(m);
	}
	free(q);
}

static void
test_rx_tso_to_gso(void **state)
{
	struct vhacc_virtq *q = mkq(F_V1 | F_GUEST_ALL);
	struct virtio_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fa, true, false, IPPROTO_TCP, 30000, 12, 0x10);
	m = offloaded(&fa, RTE_MBUF_F_TX_TCP_SEG, 2048);
	m->tso_segsz = 1400;
	assert_false(virtq_net_hdr_rx_needs_gso(q, m));
	virtq_net_hdr_fill(q, m, &h);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	assert_int_equal(h.gso_size, 1400);
	assert_int_equal(h.hdr_len, 14 + 40 + 32);
	assert_int_equal(h.csum_start, 54);
	assert_int_equal(h.csum_offset, 16);
	rte_pktmbuf_free(m);
	free(q);

	/* GUEST_TSO4 only: an IPv6 TSO frame must be segmented; IPv4 not */
	q = mkq(F_V1 | F_GUEST_CSUM | F_GUEST_TSO4);
	build(&fa, true, false, IPPROTO_TCP, 3000, 0, 0x10);
	m = offloaded(&fa, RTE_MBUF_F_TX_TCP_SEG, 2048);
	m->tso_segsz = 1000;
	assert_true(virtq_net_hdr_rx_needs_gso(q, m));
	rte_pktmbuf_free(m);
	build(&fa, false, false, IPPROTO_TCP, 3000, 0, 0x10);
	m = offloaded(&fa, RTE_MBUF_F_TX_TCP_SEG, 2048);
	m->tso_segsz = 1000;
	assert_false(virtq_net_hdr_rx_needs_gso(q, m));
	rte_pktmbuf_free(m);
	free(q);
	/* GUEST_TSO4 without GUEST_CSUM (a driver that broke the spec): segment */
	q = mkq(F_V1 | F_GUEST_TSO4);
	m = offloaded(&fa, RTE_MBUF_F_TX_TCP_SEG, 2048);
	m->tso_segsz = 1000;
	assert_true(virtq_net_hdr_rx_needs_gso(q, m));
	rte_pktmbuf_free(m);
	free(q);
}

static void
test_rx_rx_flags(void **state)
{
	struct vhacc_virtq *qc = mkq(F_V1 | F_GUEST_CSUM), *qn = mkq(F_V1);
	struct virtio_net_hdr h, zero = {0};
	struct rte_mbuf *m;
	uint8_t partial[2];

	(void)state;
	build(&fa, false, false, IPPROTO_TCP, 200, 0, 0x10);
	m = mk_mbuf(fa.b, fa.len, 4096);
	/* GOOD: DATA_VALID only with GUEST_CSUM */
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	virtq_net_hdr_fill(qc, m, &h);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	virtq_net_hdr_fill(qn, m, &h);
	assert_memory_equal(&h, &zero, sizeof(h));
	/* BAD, UNKNOWN: nothing */
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_BAD;
	virtq_net_hdr_fill(qc, m, &h);
	assert_memory_equal(&h, &zero, sizeof(h));
	m->ol_flags = 0;
	virtq_net_hdr_fill(qc, m, &h);
	assert_memory_equal(&h, &zero, sizeof(h));
	/* NONE (checksum not in the data, garbage in the field) */
	put16(rte_pktmbuf_mtod_offset(m, uint8_t *, 34 + 16), 0x5a5a);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_NONE;
	virtq_net_hdr_fill(qc, m, &h);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, 34);
	assert_int_equal(h.csum_offset, 16);
	put16(partial, ref_fold(ref_phdr(fa.b + 14, false, IPPROTO_TCP, 20 + 200)));
	assert_memory_equal(rte_pktmbuf_mtod_offset(m, uint8_t *, 34 + 16), partial, 2);
	put16(rte_pktmbuf_mtod_offset(m, uint8_t *, 34 + 16), 0x5a5a);
	virtq_net_hdr_fill(qn, m, &h);
	assert_memory_equal(&h, &zero, sizeof(h));
	mbuf_bytes(m, out);
	assert_true(ref_l4_ok(out, 14, 20, false, IPPROTO_TCP));
	rte_pktmbuf_free(m);
	free(qc);
	free(qn);
}

static void
test_rx_ip_cksum(void **state)
{
	struct vhacc_virtq *q = mkq(F_V1 | F_GUEST_CSUM);
	struct virtio_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fa, false, false, IPPROTO_UDP, 50, 0, 0);
	put16(fa.b + 14 + 10, 0);
	m = offloaded(&fa, RTE_MBUF_F_TX_UDP_CKSUM | RTE_MBUF_F_TX_IP_CKSUM, 4096);
	virtq_net_hdr_fill(q, m, &h);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_true(ref_ip4_ok(rte_pktmbuf_mtod_offset(m, uint8_t *, 14), 20));
	rte_pktmbuf_free(m);
	free(q);
}

/* ------------------------------------------------------------------------ */
/* Software TSO                                                              */

static void
check_segments(const struct frame *f, struct rte_mbuf **segs, int n, uint32_t mss, uint8_t flags)
{
	uint32_t hdrs = f->l2 + f->l3 + f->l4, k, seq0 = get32(f->b + f->l2 + f->l3 + 4);
	int i;

	assert_int_equal(n, (int)((f->payload + mss - 1) / mss));
	for (i = 0; i < n; i++) {
		uint32_t pl = RTE_MIN(mss, f->payload - (uint32_t)i * mss);
		uint8_t *ip = out + f->l2, *th = ip + f->l3, want = flags;

		assert_int_equal(segs[i]->pkt_len, hdrs + pl);
		assert_true(segs[i]->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
		assert_false(segs[i]->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
		assert_int_equal(vhacc_net_cksum_sw(segs[i]), 0);
		mbuf_bytes(segs[i], out);
		assert_memory_equal(out, f->b, f->l2); /* L2 unchanged */
		if (f->v6) {
			assert_int_equal(get16(ip + 4), f->l3 - 40 + f->l4 + pl);
		} else {
			assert_int_equal(get16(ip + 2), f->l3 + f->l4 + pl);
			assert_int_equal(get16(ip + 4), (0x1234 + i) & 0xffff);
			assert_true(ref_ip4_ok(ip, f->l3));
		}
		assert_int_equal(get32(th + 4), seq0 + (uint32_t)i * mss);
		if (i + 1 < n)
			want &= (uint8_t) ~(0x01 | 0x08); /* FIN, PSH */
		if (i > 0)
			want &= (uint8_t)~0x80; /* CWR */
		assert_int_equal(th[13], want);
		assert_memory_equal(th + 20, f->b + f->l2 + f->l3 + 20, f->l4 - 20); /* options */
		for (k = 0; k < pl; k++)
			if (out[hdrs + k] != f->b[hdrs + (uint32_t)i * mss + k])
				fail_msg("segment %d payload byte %u", i, k);
		assert_true(ref_l4_ok(out, f->l2, f->l3, f->v6, IPPROTO_TCP));
	}
}

static void
test_gso_segment(void **state)
{
	struct rte_mbuf *segs[VHACC_NET_GSO_MAX_SEGS], *m;
	int pass, n;

	(void)state;
	for (pass = 0; pass < 3; pass++) {
		bool v6 = pass == 1;
		uint32_t mss = pass == 2 ? 536 : 1448;

		build(&fa, v6, pass == 2, IPPROTO_TCP, pass == 0 ? 65000 : 20000 + 7, 12,
			0x80 | 0x18 | 0x01);
		m = offloaded(&fa, RTE_MBUF_F_TX_TCP_SEG, pass == 2 ? 999 : 2048);
		m->tso_segsz = (uint16_t)mss;
		n = vhacc_net_gso_segment(m, pool, segs, RTE_DIM(segs));
		check_segments(&fa, segs, n, mss, 0x80 | 0x18 | 0x01);
		rte_pktmbuf_free_bulk(segs, (unsigned int)n);
		/* the original is untouched */
		mbuf_bytes(m, out);
		assert_memory_equal(out, fa.b, fa.len);
		rte_pktmbuf_free(m);
	}
}

static void
test_gso_limits(void **state)
{
	struct rte_mbuf *segs[VHACC_NET_GSO_MAX_SEGS], *m;
	struct rte_mempool *tiny;
	unsigned int avail;

	(void)state;
	build(&fa, false, false, IPPROTO_TCP, 10000, 0, 0x10);
	m = offloaded(&fa, RTE_MBUF_F_TX_TCP_SEG, 2048);
	m->tso_segsz = 1000;
	assert_int_equal(vhacc_net_gso_segment(m, pool, segs, 9), -E2BIG);
	tiny = rte_pktmbuf_pool_create(
		"ut_tiny", 5, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	assert_non_null(tiny);
	assert_int_equal(vhacc_net_gso_segment(m, tiny, segs, RTE_DIM(segs)), -ENOMEM);
	avail = rte_mempool_avail_count(tiny);
	assert_int_equal(avail, 5);
	rte_mempool_free(tiny);
	m->tso_segsz = 0;
	assert_int_equal(vhacc_net_gso_segment(m, pool, segs, RTE_DIM(segs)), -EINVAL);
	m->tso_segsz = 1000;
	m->ol_flags &= ~RTE_MBUF_F_TX_TCP_SEG;
	assert_int_equal(vhacc_net_gso_segment(m, pool, segs, RTE_DIM(segs)), -EINVAL);
	rte_pktmbuf_free(m);
}

static void
test_cksum_sw_errors(void **state)
{
	struct rte_mbuf *m;

	(void)state;
	build(&fa, false, false, IPPROTO_TCP, 100, 0, 0x10);
	put16(fa.b + 14 + 2, 2000); /* IP says longer than the frame */
	m = offloaded(&fa, RTE_MBUF_F_TX_TCP_CKSUM, 4096);
	assert_int_equal(vhacc_net_cksum_sw(m), -EINVAL);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG;
	assert_int_equal(vhacc_net_cksum_sw(m), -EINVAL);
	rte_pktmbuf_free(m);
}

/* ------------------------------------------------------------------------ */
/* The split engine with a minimal simulated guest (one region, direct chains) */

#define RING       16
#define REGION_GPA 0x100000ULL
#define REGION_SZ  (4u << 20)
#define DESC_GPA   (REGION_GPA + 0x1000)
#define AVAIL_GPA  (REGION_GPA + 0x2000)
#define USED_GPA   (REGION_GPA + 0x3000)
#define BUF_GPA    (REGION_GPA + 0x10000)
#define BUF_SZ     0x10000u /* one 64 KiB buffer per descriptor */

struct mini {
	uint8_t *mem;
	struct vhacc_guest_mem gm;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	struct vhacc_virtq *q;
	uint16_t next;
};

static void *
mini_hva(struct mini *g, uint64_t gpa)
{
	return g->mem + (gpa - REGION_GPA);
}

static void
mini_init(struct mini *g, uint64_t features, bool is_rx)
{
	struct vhacc_virtq_conf conf;

	memset(g, 0, sizeof(*g));
	g->mem = aligned_alloc(4096, REGION_SZ);
	assert_non_null(g->mem);
	memset(g->mem, 0, REGION_SZ);
	g->gm.nregions = 1;
	g->gm.regions[0] = (struct vhacc_guest_region){
		.gpa = REGION_GPA, .size = REGION_SZ, .hva = (uint64_t)(uintptr_t)g->mem};
	g->desc = mini_hva(g, DESC_GPA);
	g->avail = mini_hva(g, AVAIL_GPA);
	g->used = mini_hva(g, USED_GPA);
	g->q = calloc(1, vhacc_virtq_alloc_size(RING));
	assert_non_null(g->q);
	conf = (struct vhacc_virtq_conf){.desc = g->desc,
		.avail = g->avail,
		.used = g->used,
		.size = RING,
		.features = features,
		.mem = &g->gm,
		.callfd = -1,
		.is_rx = is_rx};
	assert_int_equal(vhacc_virtq_setup(g->q, &conf), 0);
}

static void
mini_fini(struct mini *g)
{
	free(g->mem);
	free(g->q);
}

/* Post one buffer (descriptor d = slot) of len bytes, content src if not NULL. */
static void
mini_post(struct mini *g, const void *src, uint32_t len, bool write)
{
	uint16_t d = g->next % RING;
	uint64_t gpa = BUF_GPA + (uint64_t)d * BUF_SZ;

	if (src != NULL)
		memcpy(mini_hva(g, gpa), src, len);
	g->desc[d] = (struct vring_desc){
		.addr = gpa, .len = len, .flags = write ? VRING_DESC_F_WRITE : 0};
	g->avail->ring[g->next % RING] = d;
	g->next++;
	__atomic_store_n(&g->avail->idx, g->next, __ATOMIC_RELEASE);
}

/* Post a TX frame behind the 12-byte header h. */
static void
mini_tx(struct mini *g, const struct virtio_net_hdr *h, const struct frame *f)
{
	static uint8_t buf[12 + MAX_FRAME];

	memset(buf, 0, 12);
	memcpy(buf, h, sizeof(*h));
	memcpy(buf + 12, f->b, f->len);
	mini_post(g, buf, 12 + f->len, false);
}

static void
test_engine_tx_bad_hdr(void **state)
{
	struct virtio_net_hdr bad = csum_hdr(34, 16), plain = {0};
	struct rte_mbuf *pkts[4];
	struct mini g;
	uint16_t n;

	(void)state;
	mini_init(&g, F_V1, false); /* no CSUM */
	build(&fa, false, false, IPPROTO_TCP, 300, 0, 0x10);
	mini_tx(&g, &bad, &fa);
	mini_tx(&g, &plain, &fa);
	n = vhacc_virtq_dequeue_burst(g.q, pool, pkts, 4);
	assert_int_equal(n, 1); /* the bad one is consumed and dropped */
	assert_int_equal(g.q->stats.drop_bad_hdr, 1);
	assert_int_equal(g.q->stats.packets, 1);
	assert_int_equal(g.used->idx, 2);
	assert_int_equal(pkts[0]->pkt_len, fa.len);
	assert_int_equal(pkts[0]->ol_flags, 0);
	assert_false(g.q->broken);
	rte_pktmbuf_free(pkts[0]);
	mini_fini(&g);

	/* with CSUM and TSO4 negotiated: flags; a GSO frame longer than the
	 * MTU passes when its segments fit; one whose segments do not is dropped */
	mini_init(&g, F_V1 | F_CSUM | F_HOST_TSO4, false);
	g.q->max_frame = 1518;
	mini_tx(&g, &bad, &fa);
	build(&fb, false, false, IPPROTO_TCP, 30000, 0, 0x10);
	bad = tso_hdr(&fb, VIRTIO_NET_HDR_GSO_TCPV4, 1460);
	mini_tx(&g, &bad, &fb);
	bad = tso_hdr(&fb, VIRTIO_NET_HDR_GSO_TCPV4, 1465); /* 1519 bytes on the wire */
	mini_tx(&g, &bad, &fb);
	bad = tso_hdr(&fb, VIRTIO_NET_HDR_GSO_TCPV6, 1460); /* TSO6 not negotiated */
	mini_tx(&g, &bad, &fb);
	n = vhacc_virtq_dequeue_burst(g.q, pool, pkts, 4);
	assert_int_equal(n, 2);
	assert_int_equal(pkts[0]->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_TCP_CKSUM);
	assert_true(pkts[1]->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_int_equal(pkts[1]->tso_segsz, 1460);
	assert_int_equal(pkts[1]->pkt_len, fb.len);
	assert_int_equal(g.q->stats.drop_over_mtu, 1);
	assert_int_equal(g.q->stats.drop_bad_hdr, 1);
	assert_int_equal(g.used->idx, 4);
	rte_pktmbuf_free_bulk(pkts, n);
	mini_fini(&g);
}

/* The header spread over descriptors: flags in one, csum fields in the next. */
static void
test_engine_tx_hdr_split(void **state)
{
	struct virtio_net_hdr h = csum_hdr(34, 16);
	static uint8_t buf[12 + MAX_FRAME];
	struct rte_mbuf *pkts[1];
	struct mini g;
	uint16_t d0, d1;

	(void)state;
	mini_init(&g, F_V1 | F_CSUM, false);
	build(&fa, false, false, IPPROTO_TCP, 300, 0, 0x10);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + 12, fa.b, fa.len);
	d0 = 0;
	d1 = 1;
	memcpy(mini_hva(&g, BUF_GPA), buf, 3);
	memcpy(mini_hva(&g, BUF_GPA + BUF_SZ), buf + 3, 12 + fa.len - 3);
	g.desc[d0] = (struct vring_desc){
		.addr = BUF_GPA, .len = 3, .flags = VRING_DESC_F_NEXT, .next = d1};
	g.desc[d1] = (struct vring_desc){.addr = BUF_GPA + BUF_SZ, .len = 12 + fa.len - 3};
	g.avail->ring[0] = d0;
	__atomic_store_n(&g.avail->idx, 1, __ATOMIC_RELEASE);
	assert_int_equal(vhacc_virtq_dequeue_burst(g.q, pool, pkts, 1), 1);
	assert_int_equal(pkts[0]->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_TCP_CKSUM);
	assert_int_equal(pkts[0]->l3_len, 20);
	rte_pktmbuf_free(pkts[0]);
	mini_fini(&g);
}

/* Read the used entry i's buffer: header and frame. */
static uint32_t
mini_rx_read(struct mini *g, uint16_t i, struct virtio_net_hdr_mrg_rxbuf *h, uint8_t *frame)
{
	const struct vring_used_elem *e = &g->used->ring[i % RING];
	const uint8_t *b = mini_hva(g, g->desc[e->id].addr);

	assert_true(e->len >= 12);
	memcpy(h, b, 12);
	memcpy(frame, b + 12, e->len - 12);
	return e->len - 12;
}

static void
test_engine_rx(void **state)
{
	struct virtio_net_hdr_mrg_rxbuf h;
	struct rte_mbuf *pkts[2];
	struct mini g;
	uint32_t len;
	int i;

	(void)state;
	/* GUEST_CSUM: NEEDS_CSUM written, frame as is */
	mini_init(&g, F_V1 | F_MRG | F_GUEST_CSUM, true);
	for (i = 0; i < 4; i++)
		mini_post(&g, NULL, 2048, true);
	build(&fa, false, false, IPPROTO_TCP, 500, 0, 0x18);
	pkts[0] = offloaded(&fa, RTE_MBUF_F_TX_TCP_CKSUM, 4096);
	assert_int_equal(vhacc_virtq_enqueue_burst(g.q, pkts, 1), 1);
	len = mini_rx_read(&g, 0, &h, out);
	assert_int_equal(len, fa.len);
	assert_int_equal(h.hdr.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.hdr.csum_start, 34);
	assert_int_equal(h.hdr.csum_offset, 16);
	assert_int_equal(h.num_buffers, 1);
	assert_memory_equal(out, fa.b, fa.len);
	rte_pktmbuf_free(pkts[0]);
	mini_fini(&g);

	/* no GUEST_CSUM: zero header, checksum computed */
	mini_init(&g, F_V1 | F_MRG, true);
	for (i = 0; i < 4; i++)
		mini_post(&g, NULL, 2048, true);
	pkts[0] = offloaded(&fa, RTE_MBUF_F_TX_TCP_CKSUM, 4096);
	assert_int_equal(vhacc_virtq_enqueue_burst(g.q, pkts, 1), 1);
	len = mini_rx_read(&g, 0, &h, out);
	assert_int_equal(h.hdr.flags, 0);
	assert_int_equal(h.hdr.csum_start, 0);
	assert_true(ref_l4_ok(out, 14, 20, false, IPPROTO_TCP));
	rte_pktmbuf_free(pkts[0]);
	mini_fini(&g);
}

/* A TSO frame to a guest without GUEST_TSO: segments, all or none. */
static void
test_engine_rx_gso(void **state)
{
	struct virtio_net_hdr_mrg_rxbuf h;
	struct rte_mbuf *pkts[1];
	uint32_t len, nseg = (5000 + 999) / 1000;
	struct mini g;
	uint16_t i;
	int pass;

	(void)state;
	build(&fa, false, false, IPPROTO_TCP, 5000, 0, 0x19);
	for (pass = 0; pass < 2; pass++) {
		bool gcsum = pass == 1;

		mini_init(&g, F_V1 | F_MRG | (gcsum ? F_GUEST_CSUM : 0), true);
		for (i = 0; i < nseg - 1; i++)
			mini_post(&g, NULL, 2048, true);
		pkts[0] = offloaded(&fa, RTE_MBUF_F_TX_TCP_SEG, 2048);
		pkts[0]->tso_segsz = 1000;
		/* one buffer short: nothing written, the frame stays */
		assert_int_equal(vhacc_virtq_enqueue_burst(g.q, pkts, 1), 0);
		assert_int_equal(g.used->idx, 0);
		assert_int_equal(g.q->last_avail_idx, 0);
		assert_int_equal(g.q->stats.rx_no_buffers, 1);
		mini_post(&g, NULL, 2048, true);
		assert_int_equal(vhacc_virtq_enqueue_burst(g.q, pkts, 1), 1);
		assert_int_equal(g.used->idx, nseg);
		assert_int_equal(g.q->stats.packets, nseg);
		for (i = 0; i < nseg; i++) {
			len = mini_rx_read(&g, i, &h, out);
			assert_int_equal(len, 54 + RTE_MIN(1000u, 5000u - i * 1000u));
			assert_int_equal(h.hdr.gso_type, 0);
			assert_int_equal(h.num_buffers, 1);
			assert_int_equal(get32(out + 34 + 4), 0x10000001u + i * 1000u);
			assert_int_equal(out[34 + 13], i + 1u == nseg ? 0x19 : 0x10);
			if (gcsum) {
				assert_int_equal(h.hdr.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
				assert_int_equal(h.hdr.csum_start, 34);
				assert_int_equal(h.hdr.csum_offset, 16);
				/* the guest finishes it: the sum from csum_start, the
				 * pseudo-header sum in the field included */
				put16(out + 34 + 16,
					(uint16_t)~ref_fold(ref_sum(out + 34, len - 34, 0)));
			} else {
				assert_int_equal(h.hdr.flags, 0);
			}
			assert_true(ref_l4_ok(out, 14, 20, false, IPPROTO_TCP));
			assert_true(ref_ip4_ok(out + 14, 20));
		}
		rte_pktmbuf_free(pkts[0]);
		mini_fini(&g);
	}

	/* with GUEST_TSO4: one GSO frame in one 64 KiB buffer */
	mini_init(&g, F_V1 | F_MRG | F_GUEST_ALL, true);
	mini_post(&g, NULL, BUF_SZ, true);
	pkts[0] = offloaded(&fa, RTE_MBUF_F_TX_TCP_SEG, 2048);
	pkts[0]->tso_segsz = 1000;
	assert_int_equal(vhacc_virtq_enqueue_burst(g.q, pkts, 1), 1);
	len = mini_rx_read(&g, 0, &h, out);
	assert_int_equal(len, fa.len);
	assert_int_equal(h.hdr.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(h.hdr.gso_size, 1000);
	assert_int_equal(h.hdr.hdr_len, 54);
	assert_memory_equal(out, fa.b, fa.len);
	rte_pktmbuf_free(pkts[0]);
	mini_fini(&g);
}

/* ------------------------------------------------------------------------ */
/* Uplink TX through a net_ring loopback port (no offloads of its own)       */

static uint16_t ring_port;

static void
test_uplink_tx(void **state)
{
	struct vhacc_net_uplink_stats st;
	struct rte_mbuf *pkts[2], *rx[32];
	uint16_t n, i;

	(void)state;
	/* the device has nothing: checksums and segmentation here */
	vhacc_net_uplink_register(ring_port, 0);
	build(&fa, false, false, IPPROTO_TCP, 5000, 0, 0x19);
	pkts[0] = offloaded(&fa, RTE_MBUF_F_TX_TCP_SEG, 2048);
	pkts[0]->tso_segsz = 1000;
	build(&fb, true, false, IPPROTO_UDP, 700, 0, 0);
	pkts[1] = offloaded(&fb, RTE_MBUF_F_TX_UDP_CKSUM, 4096);
	assert_int_equal(vhacc_net_uplink_tx_burst(ring_port, 0, pkts, 2, pool), 2);
	n = rte_eth_rx_burst(ring_port, 0, rx, RTE_DIM(rx));
	assert_int_equal(n, 6);
	for (i = 0; i < 5; i++) {
		assert_int_equal(rx[i]->pkt_len, 54 + 1000);
		mbuf_bytes(rx[i], out);
		assert_int_equal(get32(out + 34 + 4), 0x10000001u + i * 1000u);
		assert_true(ref_ip4_ok(out + 14, 20));
		assert_true(ref_l4_ok(out, 14, 20, false, IPPROTO_TCP));
		assert_int_equal(rx[i]->ol_flags & RTE_MBUF_F_TX_L4_MASK, 0);
	}
	assert_int_equal(rx[5]->pkt_len, fb.len);
	mbuf_bytes(rx[5], out);
	assert_true(ref_l4_ok(out, 14, 40, true, IPPROTO_UDP));
	rte_pktmbuf_free_bulk(rx, n);
	assert_int_equal(vhacc_net_uplink_stats(ring_port, 0, &st), 0);
	assert_int_equal(st.sw_gso, 1);
	assert_int_equal(st.gso_segs, 5);
	assert_int_equal(st.sw_cksum, 6);
	assert_int_equal(st.drop_gso, 0);

	/* a device that claims TCP checksums and TSO gets the frames as they are */
	vhacc_net_uplink_register(
		ring_port, RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_TSO);
	pkts[0] = offloaded(&fa, RTE_MBUF_F_TX_TCP_SEG, 2048);
	pkts[0]->tso_segsz = 1000;
	pkts[1] = offloaded(&fb, RTE_MBUF_F_TX_UDP_CKSUM, 4096);
	assert_int_equal(vhacc_net_uplink_tx_burst(ring_port, 0, pkts, 2, pool), 2);
	n = rte_eth_rx_burst(ring_port, 0, rx, RTE_DIM(rx));
	assert_int_equal(n, 2);
	assert_int_equal(rx[0]->pkt_len, fa.len);
	assert_true(rx[0]->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_int_equal(rx[1]->ol_flags & RTE_MBUF_F_TX_L4_MASK, 0); /* UDP: done here */
	mbuf_bytes(rx[1], out);
	assert_true(ref_l4_ok(out, 14, 40, true, IPPROTO_UDP));
	rte_pktmbuf_free_bulk(rx, n);
	assert_int_equal(vhacc_net_uplink_stats(ring_port, 0, &st), 0);
	assert_int_equal(st.sw_gso, 0);
	assert_int_equal(st.sw_cksum, 1);

	/* segmentation that cannot be done (bad metadata) drops the frame, counted */
	pkts[0] = offloaded(&fa, RTE_MBUF_F_TX_TCP_SEG, 2048);
	pkts[0]->tso_segsz = 0;
	vhacc_net_uplink_register(ring_port, 0);
	assert_int_equal(vhacc_net_uplink_tx_burst(ring_port, 0, pkts, 1, pool), 1);
	assert_int_equal(rte_eth_rx_burst(ring_port, 0, rx, RTE_DIM(rx)), 0);
	assert_int_equal(vhacc_net_uplink_stats(ring_port, 0, &st), 0);
	assert_int_equal(st.drop_gso, 1);
}

static int
ring_port_setup(void)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_get_port_by_name("net_ring_ut", &ring_port) != 0)
		return -1;
	if (rte_eth_dev_configure(ring_port, 1, 1, &conf) != 0 ||
		rte_eth_rx_queue_setup(ring_port, 0, 256, SOCKET_ID_ANY, NULL, pool) != 0 ||
		rte_eth_tx_queue_setup(ring_port, 0, 256, SOCKET_ID_ANY, NULL) != 0 ||
		rte_eth_dev_start(ring_port) != 0)
		return -1;
	return 0;
}

static int
group_setup(void **state)
{
	char *argv[] = {(char *)"test", (char *)"--no-huge", (char *)"-m", (char *)"256",
		(char *)"--no-pci", (char *)"--no-shconf", (char *)"--no-telemetry",
		(char *)"--file-prefix", (char *)"vhacc-ut-nethdr", (char *)"--log-level",
		(char *)"error", (char *)"--vdev", (char *)"net_ring_ut"};

	(void)state;
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return -1;
	pool = rte_pktmbuf_pool_create(
		"ut_nethdr", NB_MBUF, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return -1;
	return ring_port_setup();
}

static int
group_teardown(void **state)
{
	(void)state;
	rte_eth_dev_stop(ring_port);
	rte_eth_dev_close(ring_port);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tx_csum_tcp4),
		cmocka_unit_test(test_tx_csum_udp6),
		cmocka_unit_test(test_tx_csum_vlan_multiseg),
		cmocka_unit_test(test_tx_csum_other_sw),
		cmocka_unit_test(test_tx_tso4),
		cmocka_unit_test(test_tx_tso6),
		cmocka_unit_test(test_tx_tso_one_segment),
		cmocka_unit_test(test_tx_plain_ignores_fields),
		cmocka_unit_test(test_tx_bad_headers),
		cmocka_unit_test(test_tx_csum_at_end),
		cmocka_unit_test(test_pass_tso),
		cmocka_unit_test(test_pass_csum),
		cmocka_unit_test(test_rx_csum_to_needs_csum),
		cmocka_unit_test(test_rx_csum_sw),
		cmocka_unit_test(test_rx_tso_to_gso),
		cmocka_unit_test(test_rx_rx_flags),
		cmocka_unit_test(test_rx_ip_cksum),
		cmocka_unit_test(test_gso_segment),
		cmocka_unit_test(test_gso_limits),
		cmocka_unit_test(test_cksum_sw_errors),
		cmocka_unit_test(test_engine_tx_bad_hdr),
		cmocka_unit_test(test_engine_tx_hdr_split),
		cmocka_unit_test(test_engine_rx),
		cmocka_unit_test(test_engine_rx_gso),
		cmocka_unit_test(test_uplink_tx),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
