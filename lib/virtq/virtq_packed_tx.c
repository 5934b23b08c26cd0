/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packed ring, guest TX -> mbufs.
 * Runs on: the worker lcore that owns the queue; no locks, no allocation
 * other than mbufs, no logging (errors are counters).
 */

#include <linux/virtio_net.h>

#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "virtq_net_hdr.h"
#include "virtq_mbuf_copy.h"
#include "virtq_packed_priv.h"

/*
 * The virtio-net header in front of a TX frame, gathered (read once) from
 * however many descriptors it spans; virtq_net_hdr_apply() reads it once
 * the frame is complete.
 */
struct tx_hdr {
	uint32_t left; /* header bytes still to come */
	uint32_t have;
	union {
		uint8_t buf[sizeof(struct virtio_net_hdr_mrg_rxbuf)];
		struct virtio_net_hdr hdr;
	};
};

/* Take header bytes from the segment [*p, *p + *len); returns true while the header is incomplete. */
static inline bool
tx_hdr_take(struct tx_hdr *h, uint8_t **p, uint32_t *len)
{
	uint32_t k = RTE_MIN(h->left, *len);

	memcpy(h->buf + h->have, *p, k);
	h->have += k;
	h->left -= k;
	*p += k;
	*len -= k;
	return h->left > 0;
}

/* Copy the frame of the chain at the avail position into m (an empty mbuf from mp). */
static enum tx_result
tx_one(struct vhacc_virtq *q, struct rte_mempool *mp, struct virtq_pchain *c, struct rte_mbuf *m)
{
	struct tx_hdr h = {.left = q->hdr_len};
	struct rte_mbuf *cur = m;
	bool too_big = false;
	uint64_t gpa;
	uint8_t *p;
	int64_t seg;

	virtq_pchain_start(c, q, q->last_avail_idx, q->avail_wrap);
	while ((seg = virtq_pchain_next(c, &p, &gpa)) > 0) {
		uint32_t len = (uint32_t)seg;

		if (h.left > 0 && tx_hdr_take(&h, &p, &len))
			continue;
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
	if (unlikely(h.left > 0 || (m->pkt_len == 0 && !too_big))) {
		virtq_mark_broken(q, VHACC_BROKEN_SHORT_CHAIN);
		return TX_BROKEN;
	}
	if (unlikely(too_big))
		return TX_TOO_BIG;
	if (unlikely(virtq_net_hdr_apply(q, &h.hdr, m) < 0))
		return TX_BAD_HDR;
	/* a TSO frame is as long as its segments on the wire */
	if (unlikely(q->max_frame != 0 && virtq_net_wire_len(m) > q->max_frame))
		return TX_OVER_MTU;
	return TX_OK;
}

/*
 * How many chains (up to n) the driver has made available: their heads are
 * found by walking the NEXT flags. A hint for the mbuf allocation; the walk
 * of each chain checks everything again. A chain whose head is available
 * counts even if the rest is wrong, so that its walk finds the fault.
 */
static uint16_t
tx_count_avail(const struct vhacc_virtq *q, uint16_t n)
{
	uint16_t pos = q->last_avail_idx, chains = 0, seen = 0, fl;
	bool wrap = q->avail_wrap;

	while (chains < n && seen < q->size) {
		fl = __atomic_load_n(&q->desc_packed[pos].flags, __ATOMIC_ACQUIRE);
		if (!virtq_pdesc_avail(fl, wrap))
			break;
		chains++;
		/* skip the rest of this chain */
		do {
			seen++;
			virtq_ppos_advance(q, &pos, &wrap, 1);
			if (!(fl & VRING_DESC_F_NEXT) || (fl & VRING_DESC_F_INDIRECT) ||
				seen >= q->size)
				break;
			fl = __atomic_load_n(&q->desc_packed[pos].flags, __ATOMIC_RELAXED);
		} while (virtq_pdesc_avail(fl, wrap));
	}
	return chains;
}

uint16_t
virtq_packed_dequeue_burst(
	struct vhacc_virtq *q, struct rte_mempool *mp, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t navail, i, nmbufs, count = 0, nused = 0;

	if (unlikely(q->broken || n == 0))
		return 0;
	virtq_packed_burst_start(q);
	navail = tx_count_avail(q, RTE_MIN(n, q->size));
	if (navail == 0)
		return 0;
	n = navail;
	nmbufs = virtq_mbuf_alloc_burst(mp, pkts, n);
	if (unlikely(nmbufs < n)) {
		q->stats.no_mbuf++;
		n = nmbufs;
	}

	virtq_packed_prefetch(q, n, false);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[count];
		struct virtq_pchain c;
		enum tx_result r;

		/* counted available above; a driver never takes a head back */
		if (unlikely(!virtq_pdesc_ready(q, q->last_avail_idx, q->avail_wrap)))
			break;
		r = tx_one(q, mp, &c, m);
		if (unlikely(r == TX_NO_MBUF)) {
			q->stats.no_mbuf++;
			break;
		}
		if (unlikely(r == TX_BROKEN))
			break;
		q->last_avail_idx = c.pos;
		q->avail_wrap = c.wrap;
		q->shadow[nused].id = c.id;
		q->shadow[nused].len = 0;
		q->shadow[nused].ndesc = c.ndesc;
		nused++;
		count += virtq_tx_account(q, r, m);
	}
	/* mbufs allocated for chains not taken (or for dropped frames) go back. */
	if (count < nmbufs)
		rte_pktmbuf_free_bulk(&pkts[count], nmbufs - count);
	virtq_packed_flush_used(q, nused);
	return count;
}
