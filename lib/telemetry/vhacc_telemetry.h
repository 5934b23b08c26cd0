/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_TELEMETRY_H
#define VHACC_TELEMETRY_H

/*
 * /vhacc/ commands on the DPDK telemetry socket (doc/telemetry.md).
 * Handlers run on DPDK's telemetry thread; each posts a request to the
 * control lcore, which answers from its own state (a consistent snapshot:
 * nothing changes while it answers).
 */

/* Register every /vhacc/ command. Control lcore, after EAL init. */
int vhacc_telemetry_init(void);

#endif /* VHACC_TELEMETRY_H */
