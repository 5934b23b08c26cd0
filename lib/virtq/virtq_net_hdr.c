/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio-net offloads: the header codec (virtq_net_hdr.h) and the software
 * fallbacks (vhacc_net_offload.h).
 * Runs on: worker lcores. No allocation except mbufs from the caller's pool
 * (segmentation), no logging.
 *
 * Everything the guest wrote is checked against the frame itself (parsed
 * with rte_net_get_ptype), never trusted: a header that does not describe
 * the frame drops it. Multi-segment mbufs are handled throughout.
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/virtio_net.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "vhacc_net_offload.h"
#include "virtq_net_hdr.h"

#define FEAT(b)      (1ULL << (b))
#define TCP_CSUM_OFF ((uint32_t)offsetof(struct rte_tcp_hdr, cksum))
#define UDP_CSUM_OFF ((uint32_t)offsetof(struct rte_udp_hdr, dgram_cksum))
#define TCP_HDR_MIN  ((uint32_t)sizeof(struct rte_tcp_hdr))
#define UDP_HDR_LEN  ((uint32_t)sizeof(struct rte_udp_hdr))
#define IP4_HDR_MIN  ((uint32_t)sizeof(struct rte_ipv4_hdr))
#define IP6_HDR_LEN  ((uint32_t)sizeof(struct rte_ipv6_hdr))

/* Write len bytes at offset off of a possibly chained mbuf (off + len <= pkt_len). */
static void
mbuf_write(struct rte_mbuf *m, uint32_t off, const void *src, uint32_t len)
{
	const uint8_t *s = src;
	struct rte_mbuf *seg = m;

	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (seg != NULL && len > 0) {
		uint32_t k = RTE_MIN(len, (uint32_t)seg->data_len - off);

		memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, off), s, k);
		s += k;
		len -= k;
		off = 0;
		seg = seg->next;
	}
}

/*
 * Ones' complement sum, folded and not complemented, of [off, off + len).
 * (Not rte_raw_cksum_mbuf(): in DPDK 22.11 it loses carries when a segment
 * starts at an odd offset of the range.)
 */
static uint16_t
mbuf_sum(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	const struct rte_mbuf *seg = m;
	uint32_t sum = 0;
	bool odd = false;

	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (seg != NULL && len > 0) {
		uint32_t k = RTE_MIN(len, (uint32_t)seg->data_len - off);
		uint16_t t = __rte_raw_cksum_reduce(
			__rte_raw_cksum(rte_pktmbuf_mtod_offset(seg, const uint8_t *, off), k, 0));

		/* a piece that starts at an odd position of the range sums
		 * with its bytes swapped */
		sum += odd ? rte_bswap16(t) : t;
		odd ^= (k & 1) != 0;
		len -= k;
		off = 0;
		seg = seg->next;
	}
	return __rte_raw_cksum_reduce(sum);
}

static inline uint16_t
csum_add(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + b;

	return (uint16_t)((s & 0xffff) + (s >> 16));
}

/*
 * Pseudo-header sum (not complemented) for the IP header at ip, L4 protocol
 * proto and L4 length l4len (< 64 KiB: the IPv4 and IPv6 forms then sum
 * alike).
 */
static uint16_t
phdr_sum(const uint8_t *ip, bool v4, uint8_t proto, uint32_t l4len)
{
	const uint16_t tail[2] = {rte_cpu_to_be_16(proto), rte_cpu_to_be_16((uint16_t)l4len)};
	uint32_t sum;

	if (v4)
		sum = __rte_raw_cksum(ip + offsetof(struct rte_ipv4_hdr, src_addr), 8, 0);
	else
		sum = __rte_raw_cksum(ip + offsetof(struct rte_ipv6_hdr, src_addr), 32, 0);
	sum = __rte_raw_cksum(tail, sizeof(tail), sum);
	return __rte_raw_cksum_reduce(sum);
}

/* The L3 header facts the checksum paths need, read from the frame. */
struct l3_info {
	bool v4;
	uint32_t l4len;           /* from the IP length fields */
	uint8_t hdr[IP6_HDR_LEN]; /* first bytes of the IP header (20 for IPv4, 40 for IPv6) */
};

/*
 * Read the IP header at l2 with header length l3 (options, extension
 * headers) and derive the L4 length from its length field. -1 if it is not
 * IPv4/IPv6 or its length disagrees with l3 or overruns the frame.
 */
static int
l3_read_len(const struct rte_mbuf *m, uint32_t l2, uint32_t l3, uint32_t len, struct l3_info *li)
{
	const uint8_t *ip;
	uint32_t total;

	ip = rte_pktmbuf_read(m, l2, IP4_HDR_MIN, li->hdr);
	if (ip == NULL)
		return -1;
	if ((ip[0] >> 4) == 4) {
		li->v4 = true;
		if (l3 < IP4_HDR_MIN || l3 != (uint32_t)(ip[0] & 0xf) * 4)
			return -1;
		total = rte_be_to_cpu_16(
			((const struct rte_ipv4_hdr *)(const void *)ip)->total_length);
		if (total < l3)
			return -1;
		li->l4len = total - l3;
		if (ip != li->hdr)
			memcpy(li->hdr, ip, IP4_HDR_MIN);
	} else if ((ip[0] >> 4) == 6) {
		li->v4 = false;
		if (l3 < IP6_HDR_LEN)
			return -1;
		ip = rte_pktmbuf_read(m, l2, IP6_HDR_LEN, li->hdr);
		if (ip == NULL)
			return -1;
		total = rte_be_to_cpu_16(
				((const struct rte_ipv6_hdr *)(const void *)ip)->payload_len) +
			IP6_HDR_LEN;
		if (total < l3)
			return -1;
		li->l4len = total - l3;
		if (ip != li->hdr)
			memcpy(li->hdr, ip, IP6_HDR_LEN);
	} else {
		return -1;
	}
	if ((uint64_t)l2 + l3 + li->l4len > len)
		return -1;
	return 0;
}

static int
l3_read(const struct rte_mbuf *m, uint32_t l2, uint32_t l3, struct l3_info *li)
{
	return l3_read_len(m, l2, l3, m->pkt_len, li);
}

/*
 * TCP/UDP checksum from scratch (the field's content is ignored), for the L4
 * header at l2 + l3. 0, or -1 if the IP header does not describe the frame.
 */
static int
l4_cksum_sw(struct rte_mbuf *m, uint32_t l2, uint32_t l3, bool tcp)
{
	uint32_t l4_off = l2 + l3, field = l4_off + (tcp ? TCP_CSUM_OFF : UDP_CSUM_OFF);
	struct l3_info li;
	uint16_t c = 0;

	if (l3_read(m, l2, l3, &li) < 0 || li.l4len < (tcp ? TCP_HDR_MIN : UDP_HDR_LEN))
		return -1;
	mbuf_write(m, field, &c, sizeof(c));
	c = csum_add(phdr_sum(li.hdr, li.v4, tcp ? IPPROTO_TCP : IPPROTO_UDP, li.l4len),
		mbuf_sum(m, l4_off, li.l4len));
	c = (uint16_t)~c;
	if (!tcp && c == 0)
		c = 0xffff; /* RFC 768: a computed 0 is sent as all ones */
	mbuf_write(m, field, &c, sizeof(c));
	return 0;
}

/* Write the pseudo-header sum (the virtio partial checksum) into the L4 checksum field. */
static int
l4_cksum_partial(struct rte_mbuf *m, uint32_t l2, uint32_t l3, bool tcp)
{
	struct l3_info li;
	uint16_t c;

	if (l3_read(m, l2, l3, &li) < 0 || li.l4len < (tcp ? TCP_HDR_MIN : UDP_HDR_LEN))
		return -1;
	c = phdr_sum(li.hdr, li.v4, tcp ? IPPROTO_TCP : IPPROTO_UDP, li.l4len);
	mbuf_write(m, l2 + l3 + (tcp ? TCP_CSUM_OFF : UDP_CSUM_OFF), &c, sizeof(c));
	return 0;
}

/* IPv4 header checksum in software. */
static int
ip4_cksum_sw(struct rte_mbuf *m, uint32_t l2, uint32_t l3)
{
	uint8_t buf[60];
	const uint8_t *ip;
	uint16_t c;

	if (l3 < IP4_HDR_MIN || l3 > sizeof(buf))
		return -1;
	ip = rte_pktmbuf_read(m, l2, l3, buf);
	if (ip == NULL || (ip[0] >> 4) != 4)
		return -1;
	if (ip != buf)
		memcpy(buf, ip, l3);
	buf[10] = 0;
	buf[11] = 0;
	c = (uint16_t)~rte_raw_cksum(buf, l3);
	mbuf_write(m, l2 + 10, &c, sizeof(c));
	return 0;
}

/* Complete a virtio partial checksum in software: sum [start, end) into start + off. */
static void
csum_complete(struct rte_mbuf *m, uint32_t start, uint32_t end, uint32_t off)
{
	uint16_t c = (uint16_t)~mbuf_sum(m, start, end - start);

	mbuf_write(m, start + off, &c, sizeof(c));
}

/* What a guest TX header asks for, checked against its frame. */
struct tx_req {
	uint32_t start, off; /* csum_start, csum_offset */
	bool v4, tcp;        /* IPv4 (else IPv6); TCP (else UDP), when known */
	bool known;          /* TCP/UDP over IPv4/IPv6, the checksum where it belongs */
	bool gso;            /* more than one segment of TCP payload: segment it */
	uint32_t l2, l3, l4; /* header lengths, when known */
	uint32_t gso_size;
};

/*
 * Check h against its frame of len bytes, parsed from m (the frame, or a
 * copy of at least its headers: rte_net_get_ptype reads only those).
 * 0: *r says what to do; -1: drop the frame (doc in virtq_net_hdr.h).
 */
static int
tx_req_check(const struct vhacc_virtq *q, const struct virtio_net_hdr *h, const struct rte_mbuf *m,
	uint32_t len, struct tx_req *r)
{
	uint32_t l4_off, l4_hdr = 0, ptype, l4type;
	struct rte_net_hdr_lens hl;
	struct l3_info li;
	bool v4, v6, udp;

	memset(r, 0, sizeof(*r));
	r->start = rte_le_to_cpu_16(h->csum_start);
	r->off = rte_le_to_cpu_16(h->csum_offset);
	/* NEEDS_CSUM is the only flag a driver may set, and only with CSUM;
	 * GSO needs NEEDS_CSUM. */
	if (!(q->features & FEAT(VIRTIO_NET_F_CSUM)) || h->flags != VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return -1;
	if (r->start < RTE_ETHER_HDR_LEN || r->start + r->off + 2 > len)
		return -1;

	memset(&hl, 0, sizeof(hl));
	ptype = rte_net_get_ptype(
		m, &hl, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK);
	v4 = RTE_ETH_IS_IPV4_HDR(ptype);
	v6 = RTE_ETH_IS_IPV6_HDR(ptype);
	l4type = ptype & RTE_PTYPE_L4_MASK;
	l4_off = (uint32_t)hl.l2_len + hl.l3_len;
	r->tcp = l4type == RTE_PTYPE_L4_TCP && r->off == TCP_CSUM_OFF;
	udp = l4type == RTE_PTYPE_L4_UDP && r->off == UDP_CSUM_OFF;
	if (r->tcp)
		l4_hdr = hl.l4_len;
	else if (udp)
		l4_hdr = UDP_HDR_LEN;
	/* Offloadable: TCP/UDP over IPv4/IPv6 with the checksum where the
	 * protocol has it, headers that fit the mbuf's length fields, and IP
	 * lengths that describe the frame. */
	r->known = (v4 || v6) && (r->tcp || udp) && r->start == l4_off && hl.l2_len <= 127 &&
		   hl.l3_len <= 511 && l4_hdr >= (r->tcp ? TCP_HDR_MIN : UDP_HDR_LEN) &&
		   l3_read_len(m, hl.l2_len, hl.l3_len, len, &li) == 0 && li.l4len >= l4_hdr;
	r->v4 = v4;
	r->l2 = hl.l2_len;
	r->l3 = hl.l3_len;
	r->l4 = l4_hdr;

	if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		uint32_t gso_size = rte_le_to_cpu_16(h->gso_size);
		bool t4 = h->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 &&
			  (q->features & FEAT(VIRTIO_NET_F_HOST_TSO4));
		bool t6 = h->gso_type == VIRTIO_NET_HDR_GSO_TCPV6 &&
			  (q->features & FEAT(VIRTIO_NET_F_HOST_TSO6));

		if (!((t4 && v4) || (t6 && v6)) || !r->known || !r->tcp)
			return -1;
		if (gso_size == 0 || rte_le_to_cpu_16(h->hdr_len) > len ||
			hl.l3_len + l4_hdr + gso_size > UINT16_MAX)
			return -1;
		/* a GSO frame is exactly its IP packet: no trailing bytes */
		if (l4_off + li.l4len != len)
			return -1;
		/* one segment or less: a plain checksum offload */
		r->gso = li.l4len - l4_hdr > gso_size;
		r->gso_size = gso_size;
	}
	return 0;
}

int
virtq_net_hdr_to_mbuf(
	const struct vhacc_virtq *q, const struct virtio_net_hdr *h, struct rte_mbuf *m)
{
	struct tx_req r;

	if (h->flags == 0 && h->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return 0;
	if (tx_req_check(q, h, m, m->pkt_len, &r) < 0)
		return -1;
	if (r.gso) {
		m->ol_flags |=
			RTE_MBUF_F_TX_TCP_SEG | (r.v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
		m->tso_segsz = (uint16_t)r.gso_size;
	} else if (r.known) {
		m->ol_flags |= (r.tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM) |
			       (r.v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
	} else {
		/* Anything else (another protocol, a tunnel, IP options the
		 * parser placed elsewhere): do what the guest asked, here and now. */
		csum_complete(m, r.start, m->pkt_len, r.off);
		return 0;
	}
	m->l2_len = r.l2;
	m->l3_len = r.l3;
	m->l4_len = r.l4;
	return 0;
}

int
virtq_net_hdr_pass(const struct vhacc_virtq *q, const struct virtio_net_hdr *h, const uint8_t *head,
	uint32_t head_len, uint32_t len, struct virtio_net_hdr *out, uint32_t *wire_len)
{
	struct rte_mbuf view;
	struct tx_req r;

	/* a stand-in mbuf over the copied headers, for the parser only */
	memset(&view, 0, sizeof(view));
	view.buf_addr = (void *)(uintptr_t)head;
	view.buf_len = (uint16_t)head_len;
	view.data_len = (uint16_t)head_len;
	view.pkt_len = head_len;
	view.nb_segs = 1;
	if (tx_req_check(q, h, &view, len, &r) < 0)
		return -1;
	memset(out, 0, sizeof(*out));
	out->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	out->csum_start = rte_cpu_to_le_16((uint16_t)r.start);
	out->csum_offset = rte_cpu_to_le_16((uint16_t)r.off);
	*wire_len = len;
	if (r.gso) {
		out->gso_type = r.v4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
		out->gso_size = rte_cpu_to_le_16((uint16_t)r.gso_size);
		out->hdr_len = rte_cpu_to_le_16((uint16_t)(r.l2 + r.l3 + r.l4));
		*wire_len = r.l2 + r.l3 + r.l4 + r.gso_size;
	}
	return 0;
}

void
virtq_net_hdr_from_mbuf(
	const struct vhacc_virtq *q, const struct rte_mbuf *m_const, struct virtio_net_hdr *h)
{
	/* The frame's bytes are vhacc's to change (software checksums); the
	 * mbuf's metadata is left alone. */
	struct rte_mbuf *m = (struct rte_mbuf *)(uintptr_t)m_const;
	uint64_t f = m->ol_flags;
	bool guest_csum = (q->features & FEAT(VIRTIO_NET_F_GUEST_CSUM)) != 0;
	uint32_t l2 = m->l2_len, l3 = m->l3_len;
	bool tcp;

	memset(h, 0, sizeof(*h));
	if (f & RTE_MBUF_F_TX_IP_CKSUM)
		ip4_cksum_sw(m, l2, l3); /* virtio has no IP checksum offload */

	if (f & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_L4_MASK)) {
		if ((f & RTE_MBUF_F_TX_TCP_SEG) == 0 &&
			(f & RTE_MBUF_F_TX_L4_MASK) != RTE_MBUF_F_TX_TCP_CKSUM &&
			(f & RTE_MBUF_F_TX_L4_MASK) != RTE_MBUF_F_TX_UDP_CKSUM)
			return; /* SCTP: not produced inside vhacc */
		tcp = (f & RTE_MBUF_F_TX_TCP_SEG) ||
		      (f & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM;
	} else if ((f & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
		if (guest_csum)
			h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
		return;
	} else if ((f & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE) {
		/* Received with the checksum not in the data (the sender
		 * offloaded it): find the L4 header and handle it like a TX
		 * checksum request, with the pseudo-header sum put there first. */
		struct rte_net_hdr_lens hl;
		uint32_t pt;

		memset(&hl, 0, sizeof(hl));
		pt = rte_net_get_ptype(
			m, &hl, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK);
		if (!RTE_ETH_IS_IPV4_HDR(pt) && !RTE_ETH_IS_IPV6_HDR(pt))
			return;
		if ((pt & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_TCP)
			tcp = true;
		else if ((pt & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_UDP)
			tcp = false;
		else
			return;
		l2 = hl.l2_len;
		l3 = hl.l3_len;
		if (l4_cksum_partial(m, l2, l3, tcp) < 0)
			return;
	} else {
		return;
	}

	if ((f & RTE_MBUF_F_TX_TCP_SEG) && virtq_net_hdr_guest_gso(q, m)) {
		h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->csum_start = rte_cpu_to_le_16((uint16_t)(l2 + l3));
		h->csum_offset = rte_cpu_to_le_16(TCP_CSUM_OFF);
		h->gso_type = (f & RTE_MBUF_F_TX_IPV6) ? VIRTIO_NET_HDR_GSO_TCPV6
						       : VIRTIO_NET_HDR_GSO_TCPV4;
		h->gso_size = rte_cpu_to_le_16(m->tso_segsz);
		h->hdr_len = rte_cpu_to_le_16((uint16_t)(l2 + l3 + m->l4_len));
		return;
	}
	if (guest_csum) {
		h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->csum_start = rte_cpu_to_le_16((uint16_t)(l2 + l3));
		h->csum_offset = rte_cpu_to_le_16(tcp ? TCP_CSUM_OFF : UDP_CSUM_OFF);
		return;
	}
	l4_cksum_sw(m, l2, l3, tcp);
}

int
vhacc_net_cksum_sw(struct rte_mbuf *m)
{
	uint64_t f = m->ol_flags, l4 = f & RTE_MBUF_F_TX_L4_MASK;

	if (f & RTE_MBUF_F_TX_TCP_SEG)
		return -EINVAL;
	if ((f & RTE_MBUF_F_TX_IP_CKSUM) && ip4_cksum_sw(m, m->l2_len, m->l3_len) < 0)
		return -EINVAL;
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM || l4 == RTE_MBUF_F_TX_UDP_CKSUM) {
		if (l4_cksum_sw(m, m->l2_len, m->l3_len, l4 == RTE_MBUF_F_TX_TCP_CKSUM) < 0)
			return -EINVAL;
	} else if (l4 != 0) {
		return -EINVAL;
	}
	m->ol_flags &= ~(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK);
	return 0;
}

/* Read cursor over a chained mbuf. */
struct rd_cursor {
	const struct rte_mbuf *seg;
	uint32_t off;
};

static void
rd_seek(struct rd_cursor *c, const struct rte_mbuf *m, uint32_t off)
{
	c->seg = m;
	while (c->seg != NULL && off >= c->seg->data_len) {
		off -= c->seg->data_len;
		c->seg = c->seg->next;
	}
	c->off = off;
}

/* Append len bytes from the cursor to the mbuf chain head (last segment *tail). */
static int
append_from(struct rte_mempool *mp, struct rte_mbuf *head, struct rte_mbuf **tail,
	struct rd_cursor *c, uint32_t len)
{
	struct rte_mbuf *t = *tail;

	while (len > 0) {
		uint32_t room = rte_pktmbuf_tailroom(t), avail, k;

		if (c->seg == NULL)
			return -EINVAL;
		avail = c->seg->data_len - c->off;
		if (avail == 0) {
			c->seg = c->seg->next;
			c->off = 0;
			continue;
		}
		if (room == 0) {
			struct rte_mbuf *n = rte_pktmbuf_alloc(mp);

			if (n == NULL)
				return -ENOMEM;
			t->next = n;
			t = n;
			head->nb_segs++;
			room = rte_pktmbuf_tailroom(t);
		}
		k = RTE_MIN(room, avail);
		k = RTE_MIN(len, k);
		memcpy(rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len),
			rte_pktmbuf_mtod_offset(c->seg, const uint8_t *, c->off), k);
		t->data_len += k;
		head->pkt_len += k;
		c->off += k;
		len -= k;
	}
	*tail = t;
	return 0;
}

int
vhacc_net_gso_segment(
	const struct rte_mbuf *m, struct rte_mempool *mp, struct rte_mbuf **out, uint16_t max)
{
	uint32_t l2 = m->l2_len, l3 = m->l3_len, l4 = m->l4_len, hdrs = l2 + l3 + l4;
	uint32_t mss = m->tso_segsz, payload, nseg, k, seq0;
	uint8_t hb[VHACC_NET_GSO_MAX_HDR];
	struct rte_tcp_hdr *th;
	struct rd_cursor cur;
	const uint8_t *p;
	uint16_t id0 = 0;
	uint8_t flags0;
	bool v4;
	int ret;

	if (!(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) || mss == 0 || l3 < IP4_HDR_MIN ||
		l4 < TCP_HDR_MIN || hdrs > sizeof(hb) || hdrs >= m->pkt_len)
		return -EINVAL;
	payload = m->pkt_len - hdrs;
	nseg = (payload + mss - 1) / mss;
	if (nseg > max)
		return -E2BIG;
	p = rte_pktmbuf_read(m, 0, hdrs, hb);
	if (p == NULL)
		return -EINVAL;
	if (p != hb)
		memcpy(hb, p, hdrs);
	if ((hb[l2] >> 4) == 4) {
		v4 = true;
		id0 = rte_be_to_cpu_16(((struct rte_ipv4_hdr *)(void *)(hb + l2))->packet_id);
	} else if ((hb[l2] >> 4) == 6 && l3 >= IP6_HDR_LEN) {
		v4 = false;
	} else {
		return -EINVAL;
	}
	th = (struct rte_tcp_hdr *)(void *)(hb + l2 + l3);
	seq0 = rte_be_to_cpu_32(th->sent_seq);
	flags0 = th->tcp_flags;

	if (rte_pktmbuf_alloc_bulk(mp, out, (unsigned int)nseg) != 0)
		return -ENOMEM;
	rd_seek(&cur, m, hdrs);
	for (k = 0; k < nseg; k++) {
		uint32_t pl = RTE_MIN(mss, payload - k * mss);
		struct rte_mbuf *s = out[k], *tail = s;
		uint8_t fl = flags0;

		if (v4) {
			struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(void *)(hb + l2);

			ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4 + pl));
			ip->packet_id = rte_cpu_to_be_16((uint16_t)(id0 + k));
			ip->hdr_checksum = 0;
			ip->hdr_checksum = (uint16_t)~rte_raw_cksum(ip, l3);
		} else {
			struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(void *)(hb + l2);

			ip->payload_len = rte_cpu_to_be_16((uint16_t)(l3 - IP6_HDR_LEN + l4 + pl));
		}
		th->sent_seq = rte_cpu_to_be_32(seq0 + k * mss);
		if (k + 1 < nseg)
			fl &= (uint8_t) ~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
		if (k > 0)
			fl &= (uint8_t)~RTE_TCP_CWR_FLAG;
		th->tcp_flags = fl;
		th->cksum = phdr_sum(hb + l2, v4, IPPROTO_TCP, l4 + pl);

		if (rte_pktmbuf_tailroom(s) < hdrs) {
			ret = -EINVAL;
			goto fail;
		}
		memcpy(rte_pktmbuf_mtod(s, uint8_t *), hb, hdrs);
		s->data_len = (uint16_t)hdrs;
		s->pkt_len = hdrs;
		ret = append_from(mp, s, &tail, &cur, pl);
		if (ret < 0)
			goto fail;
		s->ol_flags =
			RTE_MBUF_F_TX_TCP_CKSUM | (v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
		s->l2_len = l2;
		s->l3_len = l3;
		s->l4_len = l4;
		s->port = m->port;
	}
	return (int)nseg;

fail:
	rte_pktmbuf_free_bulk(out, nseg);
	return ret;
}
