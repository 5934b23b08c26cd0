/* SPDX-License-Identifier: BSD-3-Clause */
/* Runs on: the control lcore (and one short-lived helper thread at shutdown). */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "vhacc_app.h"
#include "vhacc_ctl.h"
#include "vhacc_ethdev.h"
#include "vhacc_port.h"
#include "vhacc_vhost_user.h"

static int
port_create(const struct vhacc_config *c, uint16_t idx, struct rte_mempool *const *pools)
{
	const struct vhacc_port_conf *pc = &c->ports[idx];
	struct rte_mempool *mp = pools[rte_socket_id()];
	struct vhacc_port *p;
	unsigned int w;
	uint16_t i, eth;
	int ret;

	p = vhacc_port_create(pc, mp);
	if (p == NULL) {
		fprintf(stderr, "vhacc: port %s: %s\n", pc->name, rte_strerror(rte_errno));
		return -rte_errno;
	}
	for (w = 0; w < c->nworkers; w++)
		for (i = 0; i < c->workers[w].nqps; i++)
			if (c->workers[w].qps[i].port == idx)
				vhacc_port_set_qp_lcore(
					p, c->workers[w].qps[i].qp, c->workers[w].lcore);

	if (pc->attach == VHACC_ATTACH_LOOPBACK) {
		vhacc_port_set_peer(p, p);
	} else if (pc->attach == VHACC_ATTACH_ETHDEV) {
		ret = vhacc_ethdev_open(pc->ethdev_devargs, pc->queue_pairs, pc->mtu, mp, &eth);
		if (ret != 0) {
			fprintf(stderr, "vhacc: port %s: attach: ethdev '%s' failed: %s\n",
				pc->name, pc->ethdev_devargs, strerror(-ret));
			return ret;
		}
		vhacc_port_set_ethdev(p, eth);
	}
	return 0;
}

static const char *
attach_name(const struct vhacc_port_conf *pc)
{
	switch (pc->attach) {
	case VHACC_ATTACH_LOOPBACK:
		return "loopback";
	case VHACC_ATTACH_XCONNECT:
		return pc->xconnect_peer;
	case VHACC_ATTACH_ETHDEV:
		return pc->ethdev_devargs;
	}
	return "?";
}

static void
port_close(struct vhacc_port *p)
{
	bool eth = p->has_eth;
	uint16_t eth_port = p->eth_port;

	vhacc_port_destroy(p);
	if (eth)
		vhacc_ethdev_close(eth_port);
}

int
vhacc_app_port_open(const struct vhacc_config *c, uint16_t idx, struct rte_mempool *const *pools)
{
	const struct vhacc_port_conf *pc = &c->ports[idx];
	struct vhacc_port *p, *peer;
	int ret;

	ret = port_create(c, idx, pools);
	if (ret != 0)
		return ret;
	p = vhacc_port_find(pc->name);
	if (pc->attach == VHACC_ATTACH_XCONNECT) {
		/* The peer may not exist yet (at start, or after it was deleted). */
		peer = vhacc_port_find(pc->xconnect_peer);
		if (peer != NULL) {
			vhacc_port_set_peer(p, peer);
			vhacc_port_set_peer(peer, p);
		}
	}
	vhacc_port_republish();

	ret = vhacc_vhost_user_register(p);
	if (ret != 0) {
		fprintf(stderr, "vhacc: port %s: socket %s: cannot open (see log)\n", pc->name,
			pc->socket);
		port_close(p);
		return ret;
	}
	printf("vhacc: port %s: %s %s, %u queue pair(s), attach %s\n", pc->name,
		pc->client ? "client of" : "server on", pc->socket, pc->queue_pairs,
		attach_name(pc));
	fflush(stdout);
	return 0;
}

int
vhacc_app_ports_create(const struct vhacc_config *c, struct rte_mempool *const *pools)
{
	uint16_t i;
	int ret;

	for (i = 0; i < c->nports; i++) {
		ret = vhacc_app_port_open(c, i, pools);
		if (ret != 0)
			return ret;
	}
	return 0;
}

void
vhacc_app_port_close(struct vhacc_port *p)
{
	port_close(p);
}

static volatile int unregister_done;

static void *
unregister_all(void *arg)
{
	uint16_t i;

	RTE_SET_USED(arg);
	for (i = 0; i < vhacc_port_max_id(); i++) {
		struct vhacc_port *p = vhacc_port_get(i);

		/* vhacc_port_get from this thread is safe: no port is added or removed now. */
		if (p != NULL)
			vhacc_vhost_user_unregister(p->conf.socket);
	}
	unregister_done = 1;
	vhacc_ctl_request_stop(); /* wake the control loop */
	return NULL;
}

void
vhacc_app_ports_destroy(void)
{
	pthread_t t;
	uint16_t i;

	unregister_done = 0;
	if (pthread_create(&t, NULL, unregister_all, NULL) == 0) {
		while (!unregister_done)
			vhacc_ctl_poll(10);
		pthread_join(t, NULL);
	}
	for (i = 0; i < vhacc_port_max_id(); i++)
		if (vhacc_port_get(i) != NULL)
			port_close(vhacc_port_get(i));
}
