/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_CTL_H
#define VHACC_CTL_H

/*
 * The control lcore (the EAL main lcore) owns every piece of state that is
 * not a worker's ring position: ports, their vrings, the worker poll lists.
 * Other threads (rte_vhost's socket thread, the telemetry thread, a signal
 * handler) never change that state themselves: they post a request with
 * vhacc_ctl_call() and wait for the control lcore's answer.
 *
 * Quiescence: workers report a quiescent state once per poll loop
 * (rte_rcu_qsbr). After the control lcore publishes new poll lists,
 * vhacc_ctl_quiesce() returns once every worker has passed a quiescent
 * state, i.e. provably no longer touches anything the old lists named.
 */

#include <stdbool.h>
#include <stdint.h>

struct rte_rcu_qsbr;

typedef int (*vhacc_ctl_fn)(void *arg);

/* Create the request ring, the wake-up eventfd and the QSBR variable. Control lcore. */
int vhacc_ctl_init(void);
void vhacc_ctl_fini(void);

/* True on the control lcore's thread. */
bool vhacc_ctl_is_control(void);

/*
 * Run fn(arg) on the control lcore and return its result. Called on the
 * control lcore itself, fn runs at once. From another thread the request
 * waits at most timeout_ms to be picked up (0: no limit); if it was not
 * picked up in time it is withdrawn and -ETIMEDOUT returned. Once picked
 * up it always runs to completion and its result is returned.
 */
int vhacc_ctl_call(vhacc_ctl_fn fn, void *arg, unsigned int timeout_ms);

/* Control lcore: wait up to timeout_ms for requests and run them. Returns how many ran. */
int vhacc_ctl_poll(int timeout_ms);

/* Ask the control loop to stop (async-signal-safe). */
void vhacc_ctl_request_stop(void);
bool vhacc_ctl_stop_requested(void);

/* The QSBR variable workers report to. */
struct rte_rcu_qsbr *vhacc_ctl_qsbr(void);

/*
 * Control lcore: wait until every online worker passed a quiescent state
 * after this call. Warns (once per second) if a worker takes longer than
 * 100 ms; never returns before quiescence.
 */
void vhacc_ctl_quiesce(void);

#endif /* VHACC_CTL_H */
