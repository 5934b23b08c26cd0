/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_TEL_PRIV_H
#define VHACC_TEL_PRIV_H

/* Shared by the files of lib/telemetry. */

#include <rte_telemetry.h>

#include "vhacc_ctl.h"

/* How long a command waits for the control lcore to pick its request up. */
#define VHACC_TEL_ANSWER_TIMEOUT_MS 2000

/* Start d as the answer of a command that acts: ok (err == 0), errno, message. */
void vhacc_tel_answer(struct rte_tel_data *d, int err, const char *msg);

/*
 * Telemetry thread: run fn(arg) on the control lcore (which answers into d);
 * if the control lcore does not pick the request up in time, d says so.
 */
int vhacc_tel_post(vhacc_ctl_fn fn, void *arg, struct rte_tel_data *d);

/* Register the port mode commands (tel_mode.c). 0 or non-zero. */
int vhacc_telemetry_mode_init(void);
/* Register the device-state commands (tel_state.c). 0 or non-zero. */
int vhacc_telemetry_state_init(void);

#endif /* VHACC_TEL_PRIV_H */
