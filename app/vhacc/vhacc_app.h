/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_APP_H
#define VHACC_APP_H

#include "vhacc_config.h"

struct rte_mempool;
struct vhacc_port;

/* Create every configured port, attach it, and open its socket. Control lcore. */
int vhacc_app_ports_create(const struct vhacc_config *c, struct rte_mempool *const *pools);

/* Create port c->ports[idx], attach it (and its xconnect peer, if present), open its socket. */
int vhacc_app_port_open(
	const struct vhacc_config *c, uint16_t idx, struct rte_mempool *const *pools);

/* Free a port whose socket is closed, and its ethdev. Control lcore. */
void vhacc_app_port_close(struct vhacc_port *p);

/* /vhacc/port/add and /vhacc/port/del on the live configuration c. */
int vhacc_app_port_ctl_init(struct vhacc_config *c, struct rte_mempool *const *pools);
/* Refuse add/del from now on (shutdown has begun). Control lcore. */
void vhacc_app_port_ctl_shutdown(void);

/* Close every socket (from a helper thread, the control lcore keeps serving), then free ports. */
void vhacc_app_ports_destroy(void);

#endif /* VHACC_APP_H */
