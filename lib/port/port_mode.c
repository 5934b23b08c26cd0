/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port modes: active, stop, freeze (doc/port-modes.md).
 * Runs on: the control lcore only (telemetry and vhost-user callbacks post
 * their requests to it).
 *
 * Entering stop is the seeds' SUSPEND: the workers' lists are rebuilt so
 * that nothing of the port's is consumed any more (its TX ring, its uplink's
 * RX into its guest, its peer's frames, which stay in the peer's ring);
 * packets vhacc already took from the port's TX are still delivered, and so
 * are those it took from the peer's TX for the port; once none is held
 * either way, the port leaves the lists, and each vring's position is
 * exact and stays as long as the port is not active. vhacc never keeps a
 * descriptor between two bursts, so there is no in-flight descriptor left to
 * complete once the workers are quiescent.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <rte_cycles.h>

#include "vhacc_log.h"
#include "vhacc_port.h"

VHACC_LOG_REGISTER(port_mode);

static const char *const mode_names[] = {
	[VHACC_PORT_MODE_ACTIVE] = "active",
	[VHACC_PORT_MODE_STOP] = "stop",
	[VHACC_PORT_MODE_FREEZE] = "freeze",
};

const char *
vhacc_port_mode_name(enum vhacc_port_mode m)
{
	return (unsigned int)m < RTE_DIM(mode_names) ? mode_names[m] : "unknown";
}

int
vhacc_port_mode_parse(const char *s, enum vhacc_port_mode *m)
{
	if (s == NULL)
		return -EINVAL;
	if (strcasecmp(s, "active") == 0)
		*m = VHACC_PORT_MODE_ACTIVE;
	else if (strcasecmp(s, "stop") == 0 || strcasecmp(s, "stopped") == 0)
		*m = VHACC_PORT_MODE_STOP;
	else if (strcasecmp(s, "freeze") == 0 || strcasecmp(s, "frozen") == 0)
		*m = VHACC_PORT_MODE_FREEZE;
	else
		return -EINVAL;
	return 0;
}

/* Packets vhacc holds from the port's guest TX, towards its destination. */
static unsigned int
held_packets(const struct vhacc_port *p)
{
	unsigned int n = 0;
	uint16_t q;

	for (q = 0; q < p->conf.queue_pairs; q++)
		n += __atomic_load_n(&p->qps[q].to_dst.count, __ATOMIC_RELAXED);
	return n;
}

/* Packets vhacc holds from the cross-connected peer's TX, towards this port
 * (loopback: the port's own, counted by held_packets already). */
static unsigned int
held_for(const struct vhacc_port *p)
{
	return p->peer != NULL && p->peer != p && p->peer->peer == p ? held_packets(p->peer) : 0;
}

/*
 * active -> stop: stop taking, deliver what is held, record. The workers
 * deliver held packets on their own; this waits for them, at most timeout_ms.
 */
static int
drain(struct vhacc_port *p, unsigned int timeout_ms, char *msg, size_t len)
{
	uint64_t start = rte_get_timer_cycles(), hz = rte_get_timer_hz();
	uint64_t deadline = start + hz * timeout_ms / 1000;
	unsigned int held, held_in;

	p->draining = true;
	vhacc_port_republish();
	/* what the port sent, to its destination; what its peer sent, into the port's RX */
	while ((held = held_packets(p)) + (held_in = held_for(p)) != 0) {
		if (rte_get_timer_cycles() > deadline) {
			p->draining = false;
			vhacc_port_republish();
			p->drain_failures++;
			snprintf(msg, len,
				"port %s: after %u ms, %u packet(s) still held for the "
				"destination and %u from %s for the port's RX ring; stays active",
				p->conf.name, timeout_ms, held, held_in,
				p->peer != NULL ? p->peer->conf.name : "its peer");
			return -ETIMEDOUT;
		}
		rte_delay_us_sleep(100);
	}
	/* Out of every list: nothing of the port's is touched from here on,
	 * so each vring's position (vhacc_virtq_get_state) is exact and stays. */
	p->mode = VHACC_PORT_MODE_STOP;
	p->draining = false;
	vhacc_port_republish();
	p->last_drain_us = (rte_get_timer_cycles() - start) * 1000000 / hz;
	return 0;
}

int
vhacc_port_set_mode(struct vhacc_port *p, enum vhacc_port_mode m, unsigned int timeout_ms,
	char *msg, size_t len)
{
	enum vhacc_port_mode old = p->mode;
	int ret;

	if ((unsigned int)m >= RTE_DIM(mode_names)) {
		snprintf(msg, len, "port %s: unknown mode %d; stays %s", p->conf.name, (int)m,
			vhacc_port_mode_name(old));
		return -EINVAL;
	}
	if (m == old) {
		snprintf(msg, len, "port %s is already in mode %s", p->conf.name,
			vhacc_port_mode_name(m));
		return 1;
	}
	if (old == VHACC_PORT_MODE_FREEZE && m != VHACC_PORT_MODE_FREEZE) {
		/* a loaded state must fit the rings the frontend set up */
		ret = vhacc_port_state_apply(p, msg, len);
		if (ret != 0) {
			VHACC_LOG(port_mode, WARNING, "%s", msg);
			return ret;
		}
	}
	if (old == VHACC_PORT_MODE_ACTIVE) {
		ret = drain(p, timeout_ms, msg, len);
		if (ret != 0) {
			VHACC_LOG(port_mode, WARNING, "%s", msg);
			return ret;
		}
	}
	p->mode = m;
	if (m == VHACC_PORT_MODE_ACTIVE)
		vhacc_port_republish();
	p->mode_changes++;
	if (old == VHACC_PORT_MODE_ACTIVE)
		snprintf(msg, len, "port %s: %s -> %s, drained in %" PRIu64 " us", p->conf.name,
			vhacc_port_mode_name(old), vhacc_port_mode_name(m), p->last_drain_us);
	else
		snprintf(msg, len, "port %s: %s -> %s", p->conf.name, vhacc_port_mode_name(old),
			vhacc_port_mode_name(m));
	VHACC_LOG(port_mode, INFO, "%s", msg);
	return 0;
}
