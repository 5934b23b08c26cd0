/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_APP_H
#define VHACC_APP_H

#include "vhacc_config.h"

struct rte_mempool;

/* Create every configured port, attach it, and open its socket. Control lcore. */
int vhacc_app_ports_create(const struct vhacc_config *c, struct rte_mempool *const *pools);

/* Close every socket (from a helper thread, the control lcore keeps serving), then free ports. */
void vhacc_app_ports_destroy(void);

#endif /* VHACC_APP_H */
