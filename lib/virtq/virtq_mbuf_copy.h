/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIRTQ_MBUF_COPY_H
#define VIRTQ_MBUF_COPY_H

/*
 * Copies between mbufs and guest buffers, shared by the split and packed
 * engines: an mbuf chain (after a virtio-net header) into guest RX buffers,
 * guest TX bytes appended to an mbuf chain, the burst's mbuf allocation, and
 * what an RX burst does around each ring's own rx_one (checks, software
 * segmentation, counting).
 * Runs on: the worker lcore that owns the queue.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/virtio_net.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "vhacc_net_offload.h"
#include "vhacc_virtq.h"
#include "virtq_net_hdr.h"

/* Where the bytes of the packet come from: the net header, then the mbuf chain. */
struct virtq_rx_src {
	const uint8_t *hdr;
	uint32_t hdr_left;
	const struct rte_mbuf *seg;
	uint32_t off;
	/* host addresses of the two bytes of num_buffers, found while writing */
	uint8_t *nb[2];
	uint32_t hdr_pos;
};

static inline void
virtq_rx_copy(struct virtq_rx_src *s, uint8_t *dst, uint32_t len)
{
	/* Usual case: the whole 12-byte header lands in the first buffer. */
	if (s->hdr_pos == 0 && s->hdr_left == sizeof(struct virtio_net_hdr_mrg_rxbuf) &&
		len >= s->hdr_left) {
		memcpy(dst, s->hdr, s->hdr_left);
		s->nb[0] = dst + offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers);
		s->nb[1] = s->nb[0] + 1;
		dst += s->hdr_left;
		len -= s->hdr_left;
		s->hdr_pos = s->hdr_left;
		s->hdr_left = 0;
	}
	while (len > 0 && s->hdr_left > 0) {
		uint32_t k = RTE_MIN(len, s->hdr_left), i;

		for (i = 0; i < k; i++) {
			uint32_t pos = s->hdr_pos + i;

			if (pos == offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers))
				s->nb[0] = dst + i;
			else if (pos == offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers) + 1)
				s->nb[1] = dst + i;
		}
		memcpy(dst, s->hdr, k);
		s->hdr += k;
		s->hdr_left -= k;
		s->hdr_pos += k;
		dst += k;
		len -= k;
	}
	while (len > 0) {
		uint32_t k = RTE_MIN(len, (uint32_t)(s->seg->data_len - s->off));

		rte_memcpy(dst, rte_pktmbuf_mtod_offset(s->seg, const uint8_t *, s->off), k);
		s->off += k;
		dst += k;
		len -= k;
		if (s->off == s->seg->data_len) {
			s->seg = s->seg->next;
			s->off = 0;
			/* skip empty segments; pkt_len bounds the copy, so seg is
			 * never NULL while len > 0 */
			while (s->seg != NULL && s->seg->data_len == 0)
				s->seg = s->seg->next;
		}
	}
}

/* Append len bytes to the mbuf chain m (last segment *cur). -1 if mp runs dry. */
static inline int
virtq_mbuf_append(struct rte_mempool *mp, struct rte_mbuf *m, struct rte_mbuf **cur,
	const uint8_t *src, uint32_t len)
{
	struct rte_mbuf *seg = *cur;

	while (len > 0) {
		uint32_t room = rte_pktmbuf_tailroom(seg), k;

		if (room == 0) {
			struct rte_mbuf *next = rte_pktmbuf_alloc(mp);

			if (unlikely(next == NULL))
				return -1;
			seg->next = next;
			seg = next;
			m->nb_segs++;
			room = rte_pktmbuf_tailroom(seg);
		}
		k = RTE_MIN(len, room);
		rte_memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, seg->data_len), src, k);
		seg->data_len += k;
		m->pkt_len += k;
		src += k;
		len -= k;
	}
	*cur = seg;
	return 0;
}

/* Put m back to a fresh single-segment state for the next frame. */
static inline void
virtq_mbuf_recycle(struct rte_mbuf *m)
{
	if (m->next != NULL) {
		rte_pktmbuf_free(m->next);
		m->next = NULL;
	}
	rte_pktmbuf_reset(m);
}

/* Fill pkts[0..n) with empty mbufs: at once if the pool allows, else as many as it has. */
static inline uint16_t
virtq_mbuf_alloc_burst(struct rte_mempool *mp, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	if (likely(rte_pktmbuf_alloc_bulk(mp, pkts, n) == 0))
		return n;
	for (i = 0; i < n; i++) {
		pkts[i] = rte_pktmbuf_alloc(mp);
		if (pkts[i] == NULL)
			break;
	}
	return i;
}

/* What became of one guest TX chain (split and packed engines). */
enum tx_result {
	TX_OK,
	TX_TOO_BIG,  /* chain consumed, frame dropped */
	TX_OVER_MTU, /* chain consumed, frame longer than the port's MTU dropped */
	TX_BAD_HDR,  /* chain consumed, virtio-net header refused, frame dropped */
	TX_NO_MBUF,  /* chain left in the ring */
	TX_BROKEN,   /* ring marked broken */
};

/*
 * Count a consumed TX chain's frame in q's stats: 1 if m holds a frame to
 * deliver, 0 if it was dropped (m is then reset for the next chain).
 */
static inline uint16_t
virtq_tx_account(struct vhacc_virtq *q, enum tx_result r, struct rte_mbuf *m)
{
	if (likely(r == TX_OK)) {
		q->stats.packets++;
		q->stats.bytes += m->pkt_len;
		return 1;
	}
	if (r == TX_TOO_BIG)
		q->stats.drop_too_big++;
	else if (r == TX_OVER_MTU)
		q->stats.drop_over_mtu++;
	else
		q->stats.drop_bad_hdr++;
	virtq_mbuf_recycle(m);
	return 0;
}

/* What became of one packet towards guest RX (split and packed engines). */
enum rx_result {
	RX_OK,
	RX_TOO_BIG, /* can never fit: dropped, no chain taken */
	RX_NO_BUF,  /* not enough buffers now: nothing taken, packet stays */
	RX_BROKEN,  /* ring marked broken */
	RX_NO_MBUF, /* software segmentation found the mbuf pool empty: packet stays */
	RX_DROPPED, /* dropped and counted already */
};

/*
 * A ring's rx_one: write packet m into the chains at the avail position, or
 * nothing. ctx: the ring's own (split: the avail index read for the burst).
 */
typedef enum rx_result (*virtq_rx_one_fn)(
	struct vhacc_virtq *q, const struct rte_mbuf *m, uint16_t ctx, uint16_t *nused);

/*
 * A TSO frame for a guest that cannot take it as GSO: segment it in software
 * (mbufs from the frame's own pool, vhacc's) and write every segment, or
 * none: if the guest runs out of buffers part way, its chains go back and
 * the frame stays with the caller, as for any packet. Counts the segments
 * as packets. For a split ring avail_wrap is always false: restoring it
 * changes nothing.
 */
static __rte_always_inline enum rx_result
virtq_rx_gso(struct vhacc_virtq *q, const struct rte_mbuf *m, uint16_t ctx, uint16_t *nused,
	virtq_rx_one_fn one)
{
	struct rte_mbuf *segs[VHACC_NET_GSO_MAX_SEGS];
	uint16_t start_avail = q->last_avail_idx, start_used = *nused;
	bool start_wrap = q->avail_wrap;
	enum rx_result r = RX_OK;
	uint64_t bytes = 0;
	int n, i;

	n = vhacc_net_gso_segment(m, m->pool, segs, (uint16_t)RTE_MIN(q->size, RTE_DIM(segs)));
	if (unlikely(n < 0)) {
		if (n == -ENOMEM) {
			q->stats.no_mbuf++;
			return RX_NO_MBUF;
		}
		if (n == -E2BIG)
			return RX_TOO_BIG; /* more segments than the ring holds */
		q->stats.drop_bad_hdr++;   /* TSO metadata that does not describe the frame */
		return RX_DROPPED;
	}
	for (i = 0; i < n; i++) {
		r = one(q, segs[i], ctx, nused);
		if (r != RX_OK)
			break;
		bytes += segs[i]->pkt_len;
	}
	rte_pktmbuf_free_bulk(segs, (unsigned int)n);
	if (r != RX_OK) {
		q->last_avail_idx = start_avail;
		q->avail_wrap = start_wrap;
		*nused = start_used;
		return r;
	}
	q->stats.packets += (uint64_t)n;
	q->stats.bytes += bytes;
	return RX_OK;
}

/*
 * One packet of an RX burst, around the ring's rx_one (and its out-of-line
 * software segmentation, gso): runts and frames over the MTU dropped and
 * counted, the packet written and counted. Returns false when the burst
 * stops here (no buffers, no mbufs, ring broken): the packet stays with the
 * caller. one and gso are constants at every call: everything is inlined.
 */
static __rte_always_inline bool
virtq_rx_packet(struct vhacc_virtq *q, const struct rte_mbuf *m, uint16_t ctx, uint16_t *nused,
	virtq_rx_one_fn one, virtq_rx_one_fn gso)
{
	enum rx_result r;

	if (unlikely(m->pkt_len == 0)) {
		q->stats.drop_runt++;
		return true;
	}
	/* a TSO frame is as long as its segments on the wire */
	if (unlikely(q->max_frame != 0 && virtq_net_wire_len(m) > q->max_frame)) {
		q->stats.drop_over_mtu++;
		return true;
	}
	if (unlikely(virtq_net_hdr_rx_needs_gso(q, m))) {
		r = gso(q, m, ctx, nused);
	} else {
		r = one(q, m, ctx, nused);
		if (r == RX_OK) {
			q->stats.packets++;
			q->stats.bytes += m->pkt_len;
		}
	}
	if (r == RX_OK || r == RX_DROPPED) /* counted already */
		return true;
	if (r == RX_TOO_BIG) {
		q->stats.drop_too_big++;
		return true;
	}
	if (r == RX_NO_BUF)
		q->stats.rx_no_buffers++;
	return false;
}

#endif /* VIRTQ_MBUF_COPY_H */
