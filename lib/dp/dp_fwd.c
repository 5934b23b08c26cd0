/* SPDX-License-Identifier: BSD-3-Clause */
/* Runs on: worker lcores. One poll of one queue pair. */

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "vhacc_dp.h"
#include "vhacc_net_offload.h"
#include "vhacc_virtq.h"

/*
 * Hand pending packets to their destination: a vhost RX vring (vq != NULL)
 * or the entry's ethdev (to_eth). What the destination takes is gone from
 * `p`; what it refuses stays for the next poll, until it has been refused
 * for hold_cycles, then it is dropped and counted. Returns packets delivered.
 */
static inline uint16_t
flush_pending(const struct vhacc_dp_entry *e, struct vhacc_dp_pending *p, bool to_eth,
	struct vhacc_virtq *vq, uint64_t *drop_down, uint64_t now, uint64_t hold_cycles)
{
	struct rte_mbuf **pkts = &p->pkts[p->head];
	struct vhacc_dp_stats *st = &e->qp->stats;
	uint16_t done;

	if (!to_eth && vq == NULL) {
		rte_pktmbuf_free_bulk(pkts, p->count);
		*drop_down += p->count;
		p->count = 0;
		return 0;
	}

	if (to_eth) {
		done = vhacc_net_uplink_tx_burst(e->eth_port, e->eth_queue, pkts, p->count, e->mp);
		st->eth_tx += done;
	} else {
		done = vhacc_virtq_enqueue_burst(vq, pkts, p->count);
		rte_pktmbuf_free_bulk(pkts, done);
	}

	p->head += done;
	p->count -= done;
	if (p->count == 0)
		return done;
	if (done != 0) {
		p->since = now;
	} else if (now - p->since > hold_cycles) {
		rte_pktmbuf_free_bulk(&p->pkts[p->head], p->count);
		st->drop_dest_full += p->count;
		p->count = 0;
	}
	return done;
}

/* Guest TX -> destination. */
static inline unsigned int
poll_guest_tx(const struct vhacc_dp_entry *e, bool to_eth, uint16_t burst, uint64_t now,
	uint64_t hold_cycles)
{
	struct vhacc_dp_pending *p = &e->qp->to_dst;
	uint16_t n;

	if (p->count != 0) {
		n = flush_pending(
			e, p, to_eth, e->dst, &e->qp->stats.drop_peer_down, now, hold_cycles);
		if (p->count != 0)
			return n; /* back-pressure: leave new packets in the guest's ring */
	}
	if (e->src == NULL)
		return 0;

	n = vhacc_virtq_dequeue_burst(e->src, e->mp, p->pkts, burst);
	if (n == 0)
		return 0;
	p->head = 0;
	p->count = n;
	p->since = now;
	flush_pending(e, p, to_eth, e->dst, &e->qp->stats.drop_peer_down, now, hold_cycles);
	return n;
}

/*
 * Guest TX -> guest RX in one copy (loopback, cross-connect). A destination
 * without room leaves the frames in the source ring; once that has lasted
 * hold_cycles, frames are taken and dropped (drop_dest_full) until the
 * destination takes again, so a guest that stopped reading cannot wedge its
 * peer.
 */
static inline unsigned int
poll_guest_xfer(const struct vhacc_dp_entry *e, uint16_t burst, uint64_t now, uint64_t hold_cycles)
{
	uint64_t *since = &e->qp->xfer_refused_since;
	struct rte_mbuf **pkts = e->qp->to_dst.pkts; /* empty: scratch space */
	uint16_t consumed, n;

	n = vhacc_virtq_xfer_burst(e->src, e->dst, burst, &consumed);
	e->qp->stats.one_copy += consumed;
	if (consumed != 0 || e->src->broken || !vhacc_virtq_pending(e->src)) {
		*since = 0;
		return n;
	}
	if (*since == 0) {
		*since = now;
		return 0;
	}
	if (now - *since <= hold_cycles)
		return 0;
	n = vhacc_virtq_dequeue_burst(e->src, e->mp, pkts, burst);
	rte_pktmbuf_free_bulk(pkts, n);
	e->qp->stats.drop_dest_full += n;
	return 0;
}

/* Ethdev RX -> guest RX. */
static inline unsigned int
poll_eth_rx(const struct vhacc_dp_entry *e, uint16_t burst, uint64_t now, uint64_t hold_cycles)
{
	struct vhacc_dp_pending *p = &e->qp->to_rx;
	uint16_t n;

	if (p->count != 0) {
		n = flush_pending(
			e, p, false, e->rx, &e->qp->stats.drop_guest_down, now, hold_cycles);
		if (p->count != 0)
			return n;
	}

	n = rte_eth_rx_burst(e->eth_port, e->eth_queue, p->pkts, burst);
	if (n == 0)
		return 0;
	e->qp->stats.eth_rx += n;
	p->head = 0;
	p->count = n;
	p->since = now;
	flush_pending(e, p, false, e->rx, &e->qp->stats.drop_guest_down, now, hold_cycles);
	return n;
}

unsigned int
vhacc_dp_poll_entry(
	const struct vhacc_dp_entry *e, uint16_t burst, uint64_t now, uint64_t hold_cycles)
{
	if (e->kind == VHACC_DP_VHOST) {
		if (e->src != NULL && e->dst != NULL && e->qp->to_dst.count == 0 &&
			vhacc_virtq_xfer_possible(e->src, e->dst))
			return poll_guest_xfer(e, burst, now, hold_cycles);
		return poll_guest_tx(e, false, burst, now, hold_cycles);
	}
	return poll_guest_tx(e, true, burst, now, hold_cycles) +
	       poll_eth_rx(e, burst, now, hold_cycles);
}
