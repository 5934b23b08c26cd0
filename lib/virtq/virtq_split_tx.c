/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split ring, guest TX -> mbufs.
 * Runs on: the worker lcore that owns the queue; no locks, no allocation
 * other than mbufs, no logging (errors are counters).
 */

#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "virtq_priv.h"

enum tx_result {
	TX_OK,
	TX_TOO_BIG,  /* chain consumed, frame dropped */
	TX_OVER_MTU, /* chain consumed, frame longer than the port's MTU dropped */
	TX_NO_MBUF,  /* chain left in the ring */
	TX_BROKEN,   /* ring marked broken */
};

/* Append len bytes to the mbuf chain m (last segment *cur). -1 if mp runs dry. */
static inline int
tx_append(struct rte_mempool *mp, struct rte_mbuf *m, struct rte_mbuf **cur, const uint8_t *src,
	uint32_t len)
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

static enum tx_result
tx_one(struct vhacc_virtq *q, struct rte_mempool *mp, uint16_t head, struct rte_mbuf **out)
{
	struct virtq_chain c;
	struct rte_mbuf *m, *cur;
	uint32_t skip = q->hdr_len;
	bool too_big = false;
	uint64_t gpa;
	uint8_t *p;
	int64_t seg;

	m = rte_pktmbuf_alloc(mp);
	if (unlikely(m == NULL))
		return TX_NO_MBUF;
	cur = m;

	virtq_chain_start(&c, q, head);
	while ((seg = virtq_chain_next(&c, &p, &gpa)) > 0) {
		uint32_t len = (uint32_t)seg, k;

		if (skip > 0) {
			k = RTE_MIN(skip, len);
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
		if (unlikely(tx_append(mp, m, &cur, p, len) < 0)) {
			rte_pktmbuf_free(m);
			return TX_NO_MBUF;
		}
	}
	if (unlikely(seg < 0)) {
		rte_pktmbuf_free(m);
		return TX_BROKEN;
	}
	if (unlikely(skip > 0 || (m->pkt_len == 0 && !too_big))) {
		rte_pktmbuf_free(m);
		virtq_mark_broken(q, VHACC_BROKEN_SHORT_CHAIN);
		return TX_BROKEN;
	}
	if (unlikely(too_big)) {
		rte_pktmbuf_free(m);
		return TX_TOO_BIG;
	}
	if (unlikely(q->max_frame != 0 && m->pkt_len > q->max_frame)) {
		rte_pktmbuf_free(m);
		return TX_OVER_MTU;
	}
	*out = m;
	return TX_OK;
}

uint16_t
vhacc_virtq_dequeue_burst(struct vhacc_virtq *q, struct rte_mempool *mp, struct rte_mbuf **pkts,
	uint16_t n)
{
	uint16_t avail_idx, navail, i, count = 0, nused = 0;

	if (unlikely(q->broken || n == 0))
		return 0;
	navail = virtq_avail_count(q, &avail_idx);
	if (navail == 0)
		return 0;
	n = RTE_MIN(n, navail);

	for (i = 0; i < n; i++) {
		uint16_t head = virtq_avail_head(q, q->last_avail_idx);
		struct rte_mbuf *m = NULL;
		enum tx_result r = tx_one(q, mp, head, &m);

		if (r == TX_NO_MBUF) {
			q->stats.no_mbuf++;
			break;
		}
		if (r == TX_BROKEN)
			break;
		q->last_avail_idx++;
		q->shadow[nused].id = head;
		q->shadow[nused].len = 0;
		nused++;
		if (r == TX_TOO_BIG) {
			q->stats.drop_too_big++;
			continue;
		}
		if (r == TX_OVER_MTU) {
			q->stats.drop_over_mtu++;
			continue;
		}
		q->stats.packets++;
		q->stats.bytes += m->pkt_len;
		pkts[count++] = m;
	}
	virtq_flush_used(q, nused);
	return count;
}
