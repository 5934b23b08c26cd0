/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packed ring, mbufs -> guest RX, with mergeable buffers.
 * Runs on: the worker lcore that owns the queue; no locks, no allocation,
 * no logging (errors are counters).
 *
 * As on the split ring, a packet is written while its chains are taken; if
 * the guest runs out of buffers part way, the avail position (and wrap
 * counter) is rewound and the packet stays with the caller. Nothing is
 * published until a packet is complete: the bytes already written are in
 * descriptors the guest still sees as available.
 */

#include <errno.h>
#include <stddef.h>

#include <linux/virtio_net.h>

#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_vhost.h>

#include "vhacc_net_offload.h"
#include "virtq_net_hdr.h"
#include "virtq_mbuf_copy.h"
#include "virtq_packed_priv.h"

enum rx_result {
	RX_OK,
	RX_TOO_BIG, /* can never fit: dropped, no chain taken */
	RX_NO_BUF,  /* not enough buffers now: nothing taken, packet stays */
	RX_BROKEN,  /* ring marked broken */
	RX_NO_MBUF, /* software segmentation found the mbuf pool empty: packet stays */
	RX_DROPPED, /* dropped and counted already */
};

/* Fill the chain at the avail position from s; returns bytes written or -1 (ring broken). */
static int64_t
rx_fill_chain(
	struct vhacc_virtq *q, struct virtq_pchain *c, struct virtq_rx_src *s, uint32_t *remaining)
{
	uint32_t written = 0;
	uint64_t gpa;
	uint8_t *p;
	int64_t seg;

	virtq_pchain_start(c, q, q->last_avail_idx, q->avail_wrap);
	while (*remaining > 0 && (seg = virtq_pchain_next(c, &p, &gpa)) != 0) {
		uint32_t k;

		if (seg < 0)
			return -1;
		k = (uint32_t)RTE_MIN((uint64_t)seg, (uint64_t)*remaining);
		virtq_rx_copy(s, p, k);
		if (q->log)
			rte_vhost_log_write(q->vid, gpa, k);
		written += k;
		*remaining -= k;
	}
	/* the rest of the chain is not read, but its id and length are needed */
	if (virtq_pchain_finish(c) < 0)
		return -1;
	return written;
}

static enum rx_result
rx_one(struct vhacc_virtq *q, const struct rte_mbuf *m, uint16_t *nused)
{
	struct virtio_net_hdr_mrg_rxbuf hdr;
	uint16_t start_avail = q->last_avail_idx, start_used = *nused, nbufs = 0;
	uint32_t remaining = q->hdr_len + m->pkt_len, ndesc = 0;
	bool start_wrap = q->avail_wrap;
	struct virtq_rx_src s = {
		.hdr = (const uint8_t *)&hdr,
		.hdr_left = q->hdr_len,
		.seg = m,
	};

	virtq_net_hdr_fill(q, m, &hdr.hdr);
	hdr.num_buffers = 0;
	while (s.seg != NULL && s.seg->data_len == 0)
		s.seg = s.seg->next;

	while (remaining > 0) {
		struct virtq_pchain c;
		int64_t w;

		if ((!q->mrg_rxbuf && nbufs == 1) || *nused == q->size ||
			!virtq_pdesc_ready(q, q->last_avail_idx, q->avail_wrap)) {
			/* Out of chains, or, without mergeable buffers, the one
			 * chain was too small: give back what this packet took.
			 * It can never fit if one chain was too small for a
			 * non-mergeable packet, or if this packet went through
			 * the whole ring. */
			bool too_big = q->mrg_rxbuf ? ndesc >= q->size : nbufs == 1;

			q->last_avail_idx = start_avail;
			q->avail_wrap = start_wrap;
			*nused = start_used;
			return too_big ? RX_TOO_BIG : RX_NO_BUF;
		}
		w = rx_fill_chain(q, &c, &s, &remaining);
		if (unlikely(w < 0)) {
			q->last_avail_idx = start_avail;
			q->avail_wrap = start_wrap;
			*nused = start_used;
			return RX_BROKEN;
		}
		q->last_avail_idx = c.pos;
		q->avail_wrap = c.wrap;
		q->shadow[*nused].id = c.id;
		q->shadow[*nused].len = (uint32_t)w;
		q->shadow[*nused].ndesc = c.ndesc;
		(*nused)++;
		nbufs++;
		ndesc += c.ndesc;
	}

	/* num_buffers exists in the 12-byte header only; little endian. */
	if (s.nb[0] != NULL)
		*s.nb[0] = nbufs & 0xff;
	if (s.nb[1] != NULL)
		*s.nb[1] = nbufs >> 8;
	return RX_OK;
}

/*
 * A TSO frame for a guest that cannot take it as GSO: its segments, made in
 * software, go in as packets of their own, all or none.
 */
static enum rx_result
rx_gso(struct vhacc_virtq *q, const struct rte_mbuf *m, uint16_t *nused)
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
		r = rx_one(q, segs[i], nused);
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

uint16_t
virtq_packed_enqueue_burst(struct vhacc_virtq *q, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i, nused = 0;

	if (unlikely(q->broken || n == 0))
		return 0;
	virtq_packed_burst_start(q);
	if (!virtq_pdesc_ready(q, q->last_avail_idx, q->avail_wrap)) {
		q->stats.rx_no_buffers++;
		return 0;
	}

	virtq_packed_prefetch(q, n, true);
	for (i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];
		enum rx_result r;

		if (unlikely(m->pkt_len == 0)) {
			q->stats.drop_runt++;
			continue;
		}
		/* a TSO frame is as long as its segments on the wire */
		if (unlikely(q->max_frame != 0 && virtq_net_wire_len(m) > q->max_frame)) {
			q->stats.drop_over_mtu++;
			continue;
		}
		if (unlikely(virtq_net_hdr_rx_needs_gso(q, m))) {
			r = rx_gso(q, m, &nused);
		} else {
			r = rx_one(q, m, &nused);
			if (r == RX_OK) {
				q->stats.packets++;
				q->stats.bytes += m->pkt_len;
			}
		}
		if (r == RX_OK || r == RX_DROPPED) {
			/* counted already */
		} else if (r == RX_TOO_BIG) {
			q->stats.drop_too_big++;
		} else {
			if (r == RX_NO_BUF)
				q->stats.rx_no_buffers++;
			break;
		}
	}
	virtq_packed_flush_used(q, nused);
	return i;
}
