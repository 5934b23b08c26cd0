/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_DP_H
#define VHACC_DP_H

/*
 * Datapath: the worker lcore loop. Everything in this header except
 * vhacc_dp_worker_init(), vhacc_dp_publish() and vhacc_dp_stop() runs on a
 * worker lcore: no locks, no allocation (mbufs from a mempool only), no
 * logging; errors become counters.
 *
 * A worker polls a list of entries, one per queue pair it owns. The control
 * lcore builds a new immutable list whenever something changes (a vring is
 * enabled, a device goes away, a port is added), publishes it with
 * vhacc_dp_publish() and calls vhacc_ctl_quiesce() before it touches or
 * frees anything the previous list named.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

struct rte_mbuf;
struct rte_mempool;
struct vhacc_virtq;

#define VHACC_DP_BURST_MAX 256

/* Per queue pair drop/forward counters, written by the owning worker only. */
struct vhacc_dp_stats {
	uint64_t drop_peer_down;  /* destination vring not running */
	uint64_t drop_dest_full;  /* destination refused packets for longer than the hold time */
	uint64_t drop_guest_down; /* ethdev RX while the guest RX vring is not running */
	uint64_t eth_rx;          /* packets received from the ethdev uplink */
	uint64_t eth_tx;          /* packets sent to the ethdev uplink */
	uint64_t one_copy;        /* guest TX frames taken by the one-copy transfer */
};

/* Packets held for a destination that had no room yet (back-pressure). */
struct vhacc_dp_pending {
	uint16_t head;  /* first packet not yet delivered */
	uint16_t count; /* packets from head */
	uint64_t since; /* TSC when the destination first refused */
	struct rte_mbuf *pkts[VHACC_DP_BURST_MAX];
};

/* Mutable per queue pair state; owned by the worker whose list names it. */
struct vhacc_dp_qp {
	struct vhacc_dp_pending to_dst; /* guest TX -> destination */
	struct vhacc_dp_pending to_rx;  /* ethdev RX -> guest RX */
	uint64_t xfer_refused_since; /* one-copy path: TSC the destination first refused, 0: not */
	struct vhacc_dp_stats stats;
} __rte_cache_aligned;

enum vhacc_dp_kind {
	VHACC_DP_VHOST, /* guest TX -> a vhost RX vring (loopback or xconnect) */
	VHACC_DP_ETHDEV /* guest TX -> ethdev TX, ethdev RX -> guest RX */
};

/* One polled queue pair, as published by the control lcore (immutable). */
struct vhacc_dp_entry {
	struct vhacc_dp_qp *qp;
	enum vhacc_dp_kind kind;
	struct vhacc_virtq *src; /* guest TX vring to poll; NULL: not running */
	struct vhacc_virtq *dst; /* VHACC_DP_VHOST: RX vring fed by src; NULL: peer down */
	struct vhacc_virtq *rx;  /* VHACC_DP_ETHDEV: guest RX vring fed by the ethdev; NULL: down */
	uint16_t eth_port;
	uint16_t eth_queue;
	struct rte_mempool *mp;
};

struct vhacc_dp_list {
	uint16_t n;
	struct vhacc_dp_entry e[];
};

/* Per worker counters, written by the worker, read by the control lcore. */
struct vhacc_dp_worker_stats {
	uint64_t loops;
	uint64_t busy_cycles; /* loops that moved at least one packet */
	uint64_t idle_cycles;
};

struct vhacc_dp_worker {
	unsigned int lcore;
	uint16_t burst;
	uint64_t hold_cycles;       /* how long pending packets wait for room */
	struct vhacc_dp_list *list; /* published with release, read with acquire */
	volatile bool stop;
	struct vhacc_dp_worker_stats stats;
} __rte_cache_aligned;

/* Control lcore: set up a worker before it is launched. */
void vhacc_dp_worker_init(struct vhacc_dp_worker *w, unsigned int lcore, uint16_t burst);

/* Control lcore: make `list` the worker's poll list; returns the old one (free it after quiescence). */
struct vhacc_dp_list *vhacc_dp_publish(struct vhacc_dp_worker *w, struct vhacc_dp_list *list);

/* Control lcore: ask the worker to leave its loop. */
void vhacc_dp_stop(struct vhacc_dp_worker *w);

/* Worker lcore entry point (rte_eal_remote_launch); arg is the struct vhacc_dp_worker. */
int vhacc_dp_worker_main(void *arg);

/* One poll of one entry; returns the number of packets moved. Exposed for tests. */
unsigned int vhacc_dp_poll_entry(
	const struct vhacc_dp_entry *e, uint16_t burst, uint64_t now, uint64_t hold_cycles);

#endif /* VHACC_DP_H */
