/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split ring, guest TX -> mbufs.
 * Runs on: the worker lcore that owns the queue; no locks, no allocation
 * other than mbufs, no logging (errors are counters).
 */

#include <linux/virtio_net.h>

#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "virtq_net_hdr.h"
#include "virtq_mbuf_copy.h"
#include "virtq_priv.h"

/* Copy the frame of chain `head` into m (an empty mbuf from mp). */
static enum tx_result
tx_one(struct vhacc_virtq *q, struct rte_mempool *mp, uint16_t head, struct rte_mbuf *m)
{
	struct virtio_net_hdr_mrg_rxbuf hdr;
	struct virtq_chain c;
	struct rte_mbuf *cur = m;
	uint32_t skip = q->hdr_len;
	bool too_big = false;
	uint64_t gpa;
	uint8_t *p;
	int64_t seg;

	virtq_chain_start(&c, q, head);
	while ((seg = virtq_chain_next(&c, &p, &gpa)) > 0) {
		uint32_t len = (uint32_t)seg, k;

		if (skip > 0) {
			/* keep the header (read once), possibly spread over descriptors */
			k = RTE_MIN(skip, len);
			memcpy((uint8_t *)&hdr + (q->hdr_len - skip), p, k);
			skip -= k;
			p += k;
			len -= k;
		}
		if (len == 0 || too_big)
			continue;
		if (unlikely(m->pkt_len + (uint64_t)len > VIRTQ_MAX_FRAME)) {
			too_big = true; /* walk on: the chain must still be valid */
			continue;
		}
		if (unlikely(virtq_mbuf_append(mp, m, &cur, p, len) < 0))
			return TX_NO_MBUF;
	}
	if (unlikely(seg < 0))
		return TX_BROKEN;
	if (unlikely(skip > 0 || (m->pkt_len == 0 && !too_big))) {
		virtq_mark_broken(q, VHACC_BROKEN_SHORT_CHAIN);
		return TX_BROKEN;
	}
	if (unlikely(too_big))
		return TX_TOO_BIG;
	if (unlikely(virtq_net_hdr_apply(q, &hdr.hdr, m) < 0))
		return TX_BAD_HDR;
	/* a TSO frame is as long as its segments on the wire */
	if (unlikely(q->max_frame != 0 && virtq_net_wire_len(m) > q->max_frame))
		return TX_OVER_MTU;
	return TX_OK;
}

uint16_t
vhacc_virtq_dequeue_burst(
	struct vhacc_virtq *q, struct rte_mempool *mp, struct rte_mbuf **pkts, uint16_t n)
{
	if (q->packed)
		return virtq_packed_dequeue_burst(q, mp, pkts, n);
	uint16_t avail_idx, navail, i, nmbufs, count = 0, nused = 0;

	if (unlikely(q->broken || n == 0))
		return 0;
	navail = virtq_avail_count(q, &avail_idx);
	if (navail == 0)
		return 0;
	n = RTE_MIN(n, navail);
	nmbufs = virtq_mbuf_alloc_burst(mp, pkts, n);
	if (unlikely(nmbufs < n)) {
		q->stats.no_mbuf++;
		n = nmbufs;
	}

	virtq_prefetch_burst(q, n, false);
	for (i = 0; i < n; i++) {
		uint16_t head = virtq_avail_head(q, q->last_avail_idx);
		struct rte_mbuf *m = pkts[count];
		enum tx_result r;

		r = tx_one(q, mp, head, m);
		if (unlikely(r == TX_NO_MBUF)) {
			q->stats.no_mbuf++;
			break;
		}
		if (unlikely(r == TX_BROKEN))
			break;
		q->last_avail_idx++;
		q->shadow[nused].id = head;
		q->shadow[nused].len = 0;
		nused++;
		count += virtq_tx_account(q, r, m);
	}
	/* mbufs allocated for chains not taken (or for dropped frames) go back. */
	if (count < nmbufs)
		rte_pktmbuf_free_bulk(&pkts[count], nmbufs - count);
	virtq_flush_used(q, nused);
	return count;
}
