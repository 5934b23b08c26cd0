/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_PORT_H
#define VHACC_PORT_H

/*
 * Ports: a vhost-user port, its vrings and where its packets go.
 * Runs on: the control lcore only. Workers see ports only through the poll
 * lists that vhacc_port_republish() builds.
 *
 * Invariant: a worker's list names a vring's virtq only if, at the last
 * republish, the port was running and the vring was running. Clearing
 * either flag and republishing (which waits for quiescence) hands the vring
 * back to the control lcore.
 */

#include <stdbool.h>
#include <stdint.h>

#include "vhacc_config.h"
#include "vhacc_devstate.h"
#include "vhacc_dp.h"
#include "vhacc_virtq.h"

struct rte_mempool;

#define VHACC_MAX_VRINGS (2 * VHACC_MAX_QUEUE_PAIRS)

/* vring index of queue pair qp: the guest's RX (device writes) and TX (device reads). */
static inline uint16_t
vhacc_rx_vring(uint16_t qp)
{
	return 2 * qp;
}

static inline uint16_t
vhacc_tx_vring(uint16_t qp)
{
	return 2 * qp + 1;
}

/*
 * Port modes (doc/port-modes.md), after the virtio device-migration model:
 * active polls; stop has drained and records each vring's state, consuming
 * nothing; freeze is stop whose device state may also be read and written.
 */
enum vhacc_port_mode {
	VHACC_PORT_MODE_ACTIVE,
	VHACC_PORT_MODE_STOP,
	VHACC_PORT_MODE_FREEZE,
};

struct vhacc_port_vring {
	struct vhacc_virtq *vq; /* allocated on first start, kept (stats survive reconnects) */
	uint16_t vq_cap;        /* ring size vq has room for */
	bool enabled;           /* the frontend enabled it (vring_state_changed) */
	bool running;           /* set up from the frontend's ring; polled while the port runs */
};

struct vhacc_port {
	uint16_t id;
	struct vhacc_port_conf conf;
	int numa_node;
	struct rte_mempool *mp;

	/* frontend connection (vhost-user) */
	int vid;           /* -1: no frontend connected */
	bool running;      /* device started (new_device) and not stopped */
	uint64_t features; /* negotiated */
	struct vhacc_guest_mem mem;
	uint16_t nr_vrings; /* vrings the frontend set up */
	struct vhacc_port_vring vrings[VHACC_MAX_VRINGS];
	uint64_t connects;
	uint64_t disconnects;

	/* attachment */
	struct vhacc_port *peer; /* loopback: itself; xconnect: the peer; ethdev: NULL */
	bool has_eth;
	uint16_t eth_port;

	/* mode (port_mode.c); workers poll the port only while it accepts */
	enum vhacc_port_mode mode;
	bool draining;         /* entering stop: nothing new taken, held packets flushed */
	uint64_t mode_changes; /* successful transitions */
	uint64_t drain_failures;
	uint64_t last_drain_us;        /* the last entry into stop, request to drained */
	struct vhacc_devstate *loaded; /* port_state.c: loaded in freeze, applied on leaving it */
	bool state_loaded;

	/* datapath: one per queue pair, and the lcore that polls it */
	struct vhacc_dp_qp *qps;
	unsigned int qp_lcore[VHACC_MAX_QUEUE_PAIRS];
};

/* Register the workers that lists are built for. Before any port is created. */
void vhacc_port_init(struct vhacc_dp_worker *workers, unsigned int nworkers);

/* The worker running on lcore, or NULL. */
struct vhacc_dp_worker *vhacc_port_worker(unsigned int lcore);
unsigned int vhacc_port_nworkers(void);
struct vhacc_dp_worker *vhacc_port_worker_at(unsigned int i);

/* Create a port from its configuration (attachment resolved by the caller). NULL + rte_errno. */
struct vhacc_port *vhacc_port_create(const struct vhacc_port_conf *conf, struct rte_mempool *mp);

/* Remove a stopped port: unlisted, memory freed. Peers pointing at it are detached. */
void vhacc_port_destroy(struct vhacc_port *p);

struct vhacc_port *vhacc_port_get(uint16_t id);
struct vhacc_port *vhacc_port_find(const char *name);
/* A port by decimal id or name. */
struct vhacc_port *vhacc_port_lookup(const char *id_or_name);
struct vhacc_port *vhacc_port_find_socket(const char *path);
uint16_t vhacc_port_max_id(void); /* ids are < this */

/* Attach p's TX to `peer`'s RX (itself for loopback). Both lists are rebuilt. */
void vhacc_port_set_peer(struct vhacc_port *p, struct vhacc_port *peer);
void vhacc_port_set_ethdev(struct vhacc_port *p, uint16_t eth_port);
/* Which lcore polls queue pair qp. */
void vhacc_port_set_qp_lcore(struct vhacc_port *p, uint16_t qp, unsigned int lcore);

/* Set up vring idx from the frontend's ring (not yet polled: vhacc_port_start or republish). */
int vhacc_port_vring_setup(struct vhacc_port *p, uint16_t idx, const struct vhacc_virtq_conf *c);
/* Stop polling vring idx; on return no worker touches it. Fills its exact state. */
void vhacc_port_vring_stop(struct vhacc_port *p, uint16_t idx, struct vhacc_virtq_state *st);

/* Start / stop polling every running vring of the port. Stop returns after quiescence. */
void vhacc_port_start(struct vhacc_port *p);
void vhacc_port_stop(struct vhacc_port *p);

/* Rebuild every worker's poll list from the ports' state, publish, wait for quiescence. */
int vhacc_port_republish(void);

/* Does the port take packets now (active and not draining)? */
static inline bool
vhacc_port_accepting(const struct vhacc_port *p)
{
	return p->mode == VHACC_PORT_MODE_ACTIVE && !p->draining;
}

const char *vhacc_port_mode_name(enum vhacc_port_mode m);
/* "active", "stop" or "freeze" (also "stopped", "frozen"). 0 or -EINVAL. */
int vhacc_port_mode_parse(const char *s, enum vhacc_port_mode *m);

/*
 * Control lcore: move the port to mode m. Entering stop or freeze from
 * active drains first: workers stop taking the port's available buffers
 * (its TX, its RX, and what its peer sends it; the peer's frames stay in the
 * peer's ring), packets vhacc holds from the port's TX are delivered (or
 * dropped and counted by the usual hold rule), then every vring's exact
 * state is recorded. If that takes longer than timeout_ms the port goes
 * back to active and -ETIMEDOUT is returned. Returns 0 (changed), 1 (the
 * port already was in m), or -errno; msg gets a one-line explanation.
 */
int vhacc_port_set_mode(struct vhacc_port *p, enum vhacc_port_mode m, unsigned int timeout_ms,
	char *msg, size_t len);

/*
 * Device state (port_state.c). Get: the state of a stopped or frozen port
 * (-EBUSY while active). Load: keep s for the frozen port (-EBUSY in
 * another mode; -ENOTSUP/-EINVAL if it does not fit the port). Apply (when
 * the port leaves freeze): every vring the state names takes its position,
 * checked against the ring; -EAGAIN (not all set up yet) or -ESTALE (the
 * ring disagrees) leave everything as it was. msg: a one-line explanation.
 */
int vhacc_port_state_get(
	const struct vhacc_port *p, struct vhacc_devstate *s, char *msg, size_t len);
int vhacc_port_state_load(
	struct vhacc_port *p, const struct vhacc_devstate *s, char *msg, size_t len);
int vhacc_port_state_apply(struct vhacc_port *p, char *msg, size_t len);

/* Sum of stats of a vring (0 if never started). */
void vhacc_port_vring_stats(const struct vhacc_port *p, uint16_t idx, struct vhacc_virtq_stats *st);

#endif /* VHACC_PORT_H */
