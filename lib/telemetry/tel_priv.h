/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_TEL_PRIV_H
#define VHACC_TEL_PRIV_H

/* Shared by the files of lib/telemetry. */

/* How long a command waits for the control lcore to pick its request up. */
#define VHACC_TEL_ANSWER_TIMEOUT_MS 2000

/* Register the port mode commands (tel_mode.c). 0 or non-zero. */
int vhacc_telemetry_mode_init(void);
/* Register the device-state commands (tel_state.c). 0 or non-zero. */
int vhacc_telemetry_state_init(void);

#endif /* VHACC_TEL_PRIV_H */
