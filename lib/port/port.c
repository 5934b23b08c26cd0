/* SPDX-License-Identifier: BSD-3-Clause */
/* Runs on: the control lcore only. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "vhacc_ctl.h"
#include "vhacc_log.h"
#include "vhacc_port.h"

VHACC_LOG_REGISTER(port);

static struct vhacc_port *ports[VHACC_MAX_PORTS];
static struct vhacc_dp_worker *workers;
static unsigned int nworkers;

void
vhacc_port_init(struct vhacc_dp_worker *w, unsigned int n)
{
	workers = w;
	nworkers = n;
}

unsigned int
vhacc_port_nworkers(void)
{
	return nworkers;
}

struct vhacc_dp_worker *
vhacc_port_worker_at(unsigned int i)
{
	return i < nworkers ? &workers[i] : NULL;
}

struct vhacc_dp_worker *
vhacc_port_worker(unsigned int lcore)
{
	unsigned int i;

	for (i = 0; i < nworkers; i++)
		if (workers[i].lcore == lcore)
			return &workers[i];
	return NULL;
}

struct vhacc_port *
vhacc_port_create(const struct vhacc_port_conf *conf, struct rte_mempool *mp)
{
	struct vhacc_port *p;
	uint16_t id;
	unsigned int i;

	for (id = 0; id < VHACC_MAX_PORTS; id++)
		if (ports[id] == NULL)
			break;
	if (id == VHACC_MAX_PORTS) {
		rte_errno = ENOSPC;
		return NULL;
	}
	p = rte_zmalloc("vhacc_port", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (p == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	p->qps = rte_zmalloc("vhacc_qps", sizeof(*p->qps) * conf->queue_pairs, RTE_CACHE_LINE_SIZE);
	if (p->qps == NULL) {
		rte_free(p);
		rte_errno = ENOMEM;
		return NULL;
	}
	p->id = id;
	p->conf = *conf;
	p->mp = mp;
	p->numa_node = mp != NULL ? mp->socket_id : 0;
	p->vid = -1;
	p->mode = conf->start_frozen ? VHACC_PORT_MODE_FREEZE : VHACC_PORT_MODE_ACTIVE;
	for (i = 0; i < VHACC_MAX_QUEUE_PAIRS; i++)
		p->qp_lcore[i] = UINT32_MAX;
	ports[id] = p;
	return p;
}

static void
free_pending(struct vhacc_dp_pending *pend, uint64_t *drops)
{
	if (pend->count == 0)
		return;
	rte_pktmbuf_free_bulk(&pend->pkts[pend->head], pend->count);
	*drops += pend->count;
	pend->count = 0;
}

void
vhacc_port_destroy(struct vhacc_port *p)
{
	uint16_t i, q;

	p->running = false;
	for (i = 0; i < VHACC_MAX_PORTS; i++)
		if (ports[i] != NULL && ports[i] != p && ports[i]->peer == p)
			ports[i]->peer = NULL;
	ports[p->id] = NULL;
	vhacc_port_republish();

	for (q = 0; q < p->conf.queue_pairs; q++) {
		free_pending(&p->qps[q].to_dst, &p->qps[q].stats.drop_peer_down);
		free_pending(&p->qps[q].to_rx, &p->qps[q].stats.drop_guest_down);
	}
	for (i = 0; i < VHACC_MAX_VRINGS; i++)
		rte_free(p->vrings[i].vq);
	rte_free(p->loaded);
	rte_free(p->qps);
	rte_free(p);
}

struct vhacc_port *
vhacc_port_get(uint16_t id)
{
	return id < VHACC_MAX_PORTS ? ports[id] : NULL;
}

uint16_t
vhacc_port_max_id(void)
{
	return VHACC_MAX_PORTS;
}

struct vhacc_port *
vhacc_port_find(const char *name)
{
	uint16_t i;

	for (i = 0; i < VHACC_MAX_PORTS; i++)
		if (ports[i] != NULL && strcmp(ports[i]->conf.name, name) == 0)
			return ports[i];
	return NULL;
}

struct vhacc_port *
vhacc_port_lookup(const char *s)
{
	char *end;
	unsigned long id;

	if (s == NULL || *s == '\0')
		return NULL;
	errno = 0;
	id = strtoul(s, &end, 10);
	if (errno == 0 && *end == '\0' && s[0] >= '0' && s[0] <= '9')
		return id < VHACC_MAX_PORTS ? ports[id] : NULL;
	return vhacc_port_find(s);
}

struct vhacc_port *
vhacc_port_find_socket(const char *path)
{
	uint16_t i;

	for (i = 0; i < VHACC_MAX_PORTS; i++)
		if (ports[i] != NULL && strcmp(ports[i]->conf.socket, path) == 0)
			return ports[i];
	return NULL;
}

void
vhacc_port_set_peer(struct vhacc_port *p, struct vhacc_port *peer)
{
	p->peer = peer;
	p->has_eth = false;
}

void
vhacc_port_set_ethdev(struct vhacc_port *p, uint16_t eth_port)
{
	p->peer = NULL;
	p->has_eth = true;
	p->eth_port = eth_port;
}

void
vhacc_port_set_qp_lcore(struct vhacc_port *p, uint16_t qp, unsigned int lcore)
{
	if (qp < VHACC_MAX_QUEUE_PAIRS)
		p->qp_lcore[qp] = lcore;
}

int
vhacc_port_vring_setup(struct vhacc_port *p, uint16_t idx, const struct vhacc_virtq_conf *c)
{
	struct vhacc_port_vring *vr;
	int ret;

	if (idx >= VHACC_MAX_VRINGS)
		return -EINVAL;
	vr = &p->vrings[idx];
	if (vr->running)
		return -EBUSY;
	if (vr->vq == NULL || vr->vq_cap < c->size) {
		struct vhacc_virtq *vq = rte_zmalloc_socket("vhacc_virtq",
			vhacc_virtq_alloc_size(c->size), RTE_CACHE_LINE_SIZE, p->numa_node);

		if (vq == NULL)
			return -ENOMEM;
		if (vr->vq != NULL) {
			vq->stats = vr->vq->stats;
			rte_free(vr->vq);
		}
		vr->vq = vq;
		vr->vq_cap = c->size;
	}
	ret = vhacc_virtq_setup(vr->vq, c);
	if (ret != 0)
		return ret;
	vr->running = true;
	return 0;
}

void
vhacc_port_vring_stop(struct vhacc_port *p, uint16_t idx, struct vhacc_virtq_state *st)
{
	struct vhacc_port_vring *vr = &p->vrings[idx];

	if (vr->running) {
		vr->running = false;
		vhacc_port_republish();
	}
	if (vr->vq != NULL)
		vhacc_virtq_get_state(vr->vq, st);
}

void
vhacc_port_start(struct vhacc_port *p)
{
	p->running = true;
	vhacc_port_republish();
}

void
vhacc_port_stop(struct vhacc_port *p)
{
	p->running = false;
	vhacc_port_republish();
}

void
vhacc_port_vring_stats(const struct vhacc_port *p, uint16_t idx, struct vhacc_virtq_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (idx < VHACC_MAX_VRINGS && p->vrings[idx].vq != NULL)
		*st = p->vrings[idx].vq->stats;
}

/* The vring's virtq if workers may poll it now, else NULL. */
static struct vhacc_virtq *
live_vring(const struct vhacc_port *p, uint16_t idx)
{
	if (p == NULL || !p->running || idx >= VHACC_MAX_VRINGS || !p->vrings[idx].running)
		return NULL;
	return p->vrings[idx].vq;
}

static bool
build_entry(const struct vhacc_port *p, uint16_t qp, struct vhacc_dp_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->qp = &p->qps[qp];
	e->mp = p->mp;
	/* draining or stopped: held packets still go out, nothing new is taken */
	e->src = vhacc_port_accepting(p) ? live_vring(p, vhacc_tx_vring(qp)) : NULL;
	if (p->has_eth) {
		e->kind = VHACC_DP_ETHDEV;
		e->rx = vhacc_port_accepting(p) ? live_vring(p, vhacc_rx_vring(qp)) : NULL;
		e->eth_port = p->eth_port;
		e->eth_queue = qp;
		return true; /* the uplink is always drained, even with the guest away */
	}
	e->kind = VHACC_DP_VHOST;
	if (p->mode != VHACC_PORT_MODE_ACTIVE && !p->draining)
		return false; /* stopped: nothing held (the drain saw to it), nothing to poll */
	if (p->peer != NULL && !vhacc_port_accepting(p->peer)) {
		/* a draining or stopped peer takes nothing new: frames stay in
		 * this guest's ring (back-pressure). While it drains, what vhacc
		 * holds for it still goes into its RX ring (its drain waits for
		 * that), so a stopped peer has nothing held for it. */
		e->src = NULL;
		if (!p->peer->draining || qp >= p->peer->conf.queue_pairs)
			return false;
		e->dst = live_vring(p->peer, vhacc_rx_vring(qp));
		return e->dst != NULL;
	}
	if (p->peer != NULL && qp < p->peer->conf.queue_pairs)
		e->dst = live_vring(p->peer, vhacc_rx_vring(qp));
	return e->src != NULL || e->dst != NULL;
}

int
vhacc_port_republish(void)
{
	struct vhacc_dp_list *lists[VHACC_MAX_WORKERS] = {NULL};
	struct vhacc_dp_list *old[VHACC_MAX_WORKERS] = {NULL};
	size_t max_entries = 0;
	unsigned int w;
	uint16_t i, q;

	for (i = 0; i < VHACC_MAX_PORTS; i++)
		if (ports[i] != NULL)
			max_entries += ports[i]->conf.queue_pairs;

	for (w = 0; w < nworkers; w++) {
		lists[w] = rte_zmalloc("vhacc_dp_list",
			sizeof(struct vhacc_dp_list) + max_entries * sizeof(struct vhacc_dp_entry),
			RTE_CACHE_LINE_SIZE);
		if (lists[w] == NULL) {
			while (w-- > 0)
				rte_free(lists[w]);
			VHACC_LOG(port, ERR, "no memory for worker poll lists");
			return -ENOMEM;
		}
	}

	for (i = 0; i < VHACC_MAX_PORTS; i++) {
		struct vhacc_port *p = ports[i];

		if (p == NULL)
			continue;
		for (q = 0; q < p->conf.queue_pairs; q++) {
			struct vhacc_dp_worker *wk = vhacc_port_worker(p->qp_lcore[q]);
			struct vhacc_dp_list *l;

			if (wk == NULL)
				continue;
			l = lists[wk - workers];
			if (build_entry(p, q, &l->e[l->n]))
				l->n++;
		}
	}

	for (w = 0; w < nworkers; w++)
		old[w] = vhacc_dp_publish(&workers[w], lists[w]);
	vhacc_ctl_quiesce();
	for (w = 0; w < nworkers; w++)
		rte_free(old[w]);

	/* Queue pairs no worker polls any more: their held packets have nowhere to go. */
	for (i = 0; i < VHACC_MAX_PORTS; i++) {
		struct vhacc_port *p = ports[i];
		struct vhacc_dp_entry e;

		if (p == NULL)
			continue;
		for (q = 0; q < p->conf.queue_pairs; q++) {
			if (vhacc_port_worker(p->qp_lcore[q]) != NULL && build_entry(p, q, &e))
				continue;
			free_pending(&p->qps[q].to_dst, &p->qps[q].stats.drop_peer_down);
			free_pending(&p->qps[q].to_rx, &p->qps[q].stats.drop_guest_down);
		}
	}
	return 0;
}
