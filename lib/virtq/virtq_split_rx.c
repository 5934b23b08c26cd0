/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split ring, mbufs -> guest RX, with mergeable buffers.
 * Runs on: the worker lcore that owns the queue; no locks, no allocation,
 * no logging (errors are counters).
 *
 * A packet is written while its chains are taken from the avail ring. If
 * the guest runs out of buffers part way, the chains go back (last_avail_idx
 * is rewound) and the packet stays with the caller: the bytes already
 * written are in buffers the guest still owns as available, so it never
 * sees them. Writes are dirty-logged as they happen; a rewound write is
 * logged too, which is harmless.
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
#include "virtq_priv.h"

/* Fill one chain from s; returns bytes written or -1 (ring broken). */
static int64_t
rx_fill_chain(struct vhacc_virtq *q, uint16_t head, struct virtq_rx_src *s, uint32_t *remaining)
{
	struct virtq_chain c;
	uint32_t written = 0;
	uint64_t gpa;
	uint8_t *p;
	int64_t seg;

	virtq_chain_start(&c, q, head);
	while (*remaining > 0 && (seg = virtq_chain_next(&c, &p, &gpa)) != 0) {
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
	return written;
}

static enum rx_result
rx_one(struct vhacc_virtq *q, const struct rte_mbuf *m, uint16_t avail_idx, uint16_t *nused)
{
	struct virtio_net_hdr_mrg_rxbuf hdr;
	uint16_t start_avail = q->last_avail_idx, start_used = *nused, nbufs = 0;
	uint32_t remaining = q->hdr_len + m->pkt_len;
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
		uint16_t head;
		int64_t w;

		if (q->last_avail_idx == avail_idx || (!q->mrg_rxbuf && nbufs == 1)) {
			/* Out of chains, or, without mergeable buffers, the one
			 * chain was too small: give back what this packet took.
			 * It can never fit if one chain was too small for a
			 * non-mergeable packet, or if the guest had made its
			 * whole ring available and that was not enough. */
			bool too_big = q->mrg_rxbuf ? (uint16_t)(avail_idx - start_avail) == q->size
						    : nbufs == 1;

			q->last_avail_idx = start_avail;
			*nused = start_used;
			return too_big ? RX_TOO_BIG : RX_NO_BUF;
		}
		head = virtq_avail_head(q, q->last_avail_idx);
		q->last_avail_idx++;
		w = rx_fill_chain(q, head, &s, &remaining);
		if (unlikely(w < 0)) {
			q->last_avail_idx = start_avail;
			*nused = start_used;
			return RX_BROKEN;
		}
		q->shadow[*nused].id = head;
		q->shadow[*nused].len = (uint32_t)w;
		(*nused)++;
		nbufs++;
	}

	/* num_buffers exists in the 12-byte header only; little endian (the
	 * guest's order for VERSION_1 and for legacy x86 guests). */
	if (s.nb[0] != NULL)
		*s.nb[0] = nbufs & 0xff;
	if (s.nb[1] != NULL)
		*s.nb[1] = nbufs >> 8;
	return RX_OK;
}

/* Software segmentation, out of line: rare, and large on the stack. */
static __rte_noinline enum rx_result
rx_gso(struct vhacc_virtq *q, const struct rte_mbuf *m, uint16_t avail_idx, uint16_t *nused)
{
	return virtq_rx_gso(q, m, avail_idx, nused, rx_one);
}

uint16_t
vhacc_virtq_enqueue_burst(struct vhacc_virtq *q, struct rte_mbuf **pkts, uint16_t n)
{
	if (q->packed)
		return virtq_packed_enqueue_burst(q, pkts, n);
	uint16_t avail_idx, navail, i, nused = 0;

	if (unlikely(q->broken || n == 0))
		return 0;
	navail = virtq_avail_count(q, &avail_idx);
	if (q->broken)
		return 0;
	if (navail == 0) {
		q->stats.rx_no_buffers++;
		return 0;
	}

	virtq_prefetch_burst(q, RTE_MIN(n, navail), true);
	for (i = 0; i < n; i++)
		if (!virtq_rx_packet(q, pkts[i], avail_idx, &nused, rx_one, rx_gso))
			break;
	virtq_flush_used(q, nused);
	return i;
}
