/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_ETHDEV_H
#define VHACC_ETHDEV_H

/*
 * Ethdev uplinks: any DPDK ethdev created from devargs (net_memif,
 * net_virtio_user, net_af_xdp, net_tap, net_ring, a PCI address...).
 * Runs on: the control lcore.
 */

#include <stdint.h>

struct rte_mempool;

/*
 * Probe `devargs`, configure nqueues RX/TX queue pairs (queue q serves the
 * vhost port's queue pair q), set the MTU (best effort) and start it.
 * Returns 0 and the port id, or -errno with a reason logged.
 */
int vhacc_ethdev_open(const char *devargs, uint16_t nqueues, uint16_t mtu, struct rte_mempool *mp,
	uint16_t *port_id);

/* Stop, close and detach. */
void vhacc_ethdev_close(uint16_t port_id);

#endif /* VHACC_ETHDEV_H */
