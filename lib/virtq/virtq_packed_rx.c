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
rx_one(struct vhacc_virtq *q, const struct rte_mbuf *m, __rte_unused uint16_t ctx, uint16_t *nused)
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

/* Software segmentation, out of line: rare, and large on the stack. */
static __rte_noinline enum rx_result
rx_gso(struct vhacc_virtq *q, const struct rte_mbuf *m, uint16_t ctx, uint16_t *nused)
{
	return virtq_rx_gso(q, m, ctx, nused, rx_one);
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
	for (i = 0; i < n; i++)
		if (!virtq_rx_packet(q, pkts[i], 0, &nused, rx_one, rx_gso))
			break;
	virtq_packed_flush_used(q, nused);
	return i;
}
