/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port mode commands: /vhacc/port/suspend, /vhacc/port/resume,
 * /vhacc/port/mode and /vhacc/port/queue_state (doc/telemetry.md).
 * Runs on: the telemetry thread (the *_cb functions, which only post) and
 * the control lcore (the *_ctl functions, which act and answer).
 *
 * Every answer is a dict with "ok" (1/0), "errno", "message", plus the
 * command's own keys ("mode", "changed", ...). A repeated request answers
 * ok with changed 0 and says that the port already is in that mode.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "tel_priv.h"
#include "vhacc_ctl.h"
#include "vhacc_port.h"

/* Suspend: default and largest drain time. */
#define SUSPEND_TIMEOUT_MS     1000u
#define SUSPEND_TIMEOUT_MAX_MS 60000u

struct mode_req {
	char port[64];
	char arg[32]; /* mode name or timeout, "" if absent */
	enum vhacc_port_mode want;
	bool set; /* change the mode (else report it) */
	unsigned int timeout_ms;
	struct rte_tel_data *d;
};

/* "<port>[,<arg>]" into r; false (and the answer written) if malformed. */
static bool
split_params(const char *params, struct mode_req *r, const char *usage)
{
	const char *comma;
	size_t n;

	if (params == NULL || *params == '\0') {
		vhacc_tel_answer(r->d, EINVAL, usage);
		return false;
	}
	comma = strchr(params, ',');
	n = comma != NULL ? (size_t)(comma - params) : strlen(params);
	if (n == 0 || n >= sizeof(r->port) ||
		(comma != NULL && strlen(comma + 1) >= sizeof(r->arg))) {
		vhacc_tel_answer(r->d, EINVAL, usage);
		return false;
	}
	memcpy(r->port, params, n);
	r->port[n] = '\0';
	if (comma != NULL)
		strcpy(r->arg, comma + 1);
	return true;
}

static int
mode_ctl(void *arg)
{
	struct mode_req *r = arg;
	struct vhacc_port *p = vhacc_port_lookup(r->port);
	char msg[RTE_TEL_MAX_STRING_LEN];
	enum vhacc_port_mode old;
	int ret = 0;

	if (p == NULL) {
		vhacc_tel_answer(r->d, ENODEV, "no such port");
		return 0;
	}
	old = p->mode;
	if (!r->set) {
		snprintf(msg, sizeof(msg), "port %s is in mode %s", p->conf.name,
			vhacc_port_mode_name(p->mode));
	} else {
		ret = vhacc_port_set_mode(p, r->want, r->timeout_ms, msg, sizeof(msg));
	}
	vhacc_tel_answer(r->d, ret < 0 ? -ret : 0, msg);
	rte_tel_data_add_dict_string(r->d, "port", p->conf.name);
	rte_tel_data_add_dict_string(r->d, "mode", vhacc_port_mode_name(p->mode));
	rte_tel_data_add_dict_int(r->d, "changed", r->set && ret == 0);
	if (r->set && ret == 0 && old == VHACC_PORT_MODE_ACTIVE)
		rte_tel_data_add_dict_u64(r->d, "drain_us", p->last_drain_us); /* this drain's */
	return 0;
}

static int
parse_timeout(struct mode_req *r)
{
	char *end;
	unsigned long t;

	r->timeout_ms = SUSPEND_TIMEOUT_MS;
	if (r->arg[0] == '\0')
		return 0;
	errno = 0;
	t = strtoul(r->arg, &end, 10);
	if (errno != 0 || *end != '\0' || r->arg[0] < '0' || r->arg[0] > '9' || t == 0 ||
		t > SUSPEND_TIMEOUT_MAX_MS)
		return -EINVAL;
	r->timeout_ms = (unsigned int)t;
	return 0;
}

static int
suspend_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char usage[] =
		"usage: <port id or name>[,<timeout_ms 1..60000, default 1000>]";
	struct mode_req r = {.d = d, .set = true, .want = VHACC_PORT_MODE_STOP};

	RTE_SET_USED(cmd);
	if (!split_params(params, &r, usage))
		return 0;
	if (parse_timeout(&r) < 0) {
		vhacc_tel_answer(d, EINVAL, usage);
		return 0;
	}
	return vhacc_tel_post(mode_ctl, &r, d);
}

static int
resume_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mode_req r = {.d = d, .set = true, .want = VHACC_PORT_MODE_ACTIVE};

	RTE_SET_USED(cmd);
	if (!split_params(params, &r, "usage: <port id or name>"))
		return 0;
	if (r.arg[0] != '\0') {
		vhacc_tel_answer(d, EINVAL, "usage: <port id or name>");
		return 0;
	}
	return vhacc_tel_post(mode_ctl, &r, d);
}

static int
mode_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char usage[] = "usage: <port id or name>[,active|stop|freeze]";
	struct mode_req r = {.d = d, .timeout_ms = SUSPEND_TIMEOUT_MS};

	RTE_SET_USED(cmd);
	if (!split_params(params, &r, usage))
		return 0;
	if (r.arg[0] != '\0') {
		if (vhacc_port_mode_parse(r.arg, &r.want) < 0) {
			char msg[RTE_TEL_MAX_STRING_LEN];

			snprintf(msg, sizeof(msg),
				"unknown mode '%.24s' (active, stop, freeze); "
				"mode unchanged",
				r.arg);
			vhacc_tel_answer(d, EINVAL, msg);
			return 0;
		}
		r.set = true;
	}
	return vhacc_tel_post(mode_ctl, &r, d);
}

/* One vring's position: exact unless the port is active (then a live reading). */
static void
add_vring_state(struct rte_tel_data *d, const struct vhacc_port *p, uint16_t idx)
{
	const struct vhacc_port_vring *vr = &p->vrings[idx];
	struct vhacc_virtq_held held[8];
	struct vhacc_virtq_state st;
	struct rte_tel_data *c;
	bool exact = p->mode != VHACC_PORT_MODE_ACTIVE;
	char name[16];

	if (vr->vq == NULL)
		return;
	c = rte_tel_data_alloc();
	if (c == NULL)
		return;
	vhacc_virtq_get_state(vr->vq, &st); /* no worker moves it unless active */
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_string(c, "layout", vr->vq->packed ? "packed" : "split");
	rte_tel_data_add_dict_int(c, "size", vr->vq->size);
	rte_tel_data_add_dict_int(c, "enabled", vr->enabled);
	rte_tel_data_add_dict_int(c, "running", vr->running);
	rte_tel_data_add_dict_int(c, "last_avail_idx", st.last_avail_idx);
	rte_tel_data_add_dict_int(c, "last_used_idx", st.last_used_idx);
	if (vr->vq->packed) {
		rte_tel_data_add_dict_int(c, "avail_wrap", st.avail_wrap);
		rte_tel_data_add_dict_int(c, "used_wrap", st.used_wrap);
	}
	/* descriptors the device holds: none between bursts (doc/port-modes.md) */
	rte_tel_data_add_dict_int(c, "held", exact ? vhacc_virtq_held(vr->vq, held, 8) : 0);
	rte_tel_data_add_dict_int(c, "exact", exact);
	snprintf(name, sizeof(name), "%s%u", idx % 2 ? "txq" : "rxq", idx / 2);
	rte_tel_data_add_dict_container(d, name, c, 0);
}

static int
queue_state_ctl(void *arg)
{
	struct mode_req *r = arg;
	struct vhacc_port *p = vhacc_port_lookup(r->port);
	char msg[RTE_TEL_MAX_STRING_LEN];
	uint16_t i;

	if (p == NULL) {
		vhacc_tel_answer(r->d, ENODEV, "no such port");
		return 0;
	}
	for (i = 0; i < 2 * p->conf.queue_pairs && i < VHACC_MAX_VRINGS; i++)
		if (p->vrings[i].vq != NULL)
			break;
	snprintf(msg, sizeof(msg), "port %s, mode %s%s", p->conf.name,
		vhacc_port_mode_name(p->mode),
		i == 2 * p->conf.queue_pairs || i == VHACC_MAX_VRINGS
			? ": no vring was ever set up (no frontend yet)"
		: p->mode == VHACC_PORT_MODE_ACTIVE ? ": live positions, not exact"
						    : "");
	vhacc_tel_answer(r->d, 0, msg);
	rte_tel_data_add_dict_string(r->d, "mode", vhacc_port_mode_name(p->mode));
	for (i = 0; i < 2 * p->conf.queue_pairs && i < VHACC_MAX_VRINGS; i++)
		add_vring_state(r->d, p, i);
	return 0;
}

static int
queue_state_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mode_req r = {.d = d};

	RTE_SET_USED(cmd);
	if (!split_params(params, &r, "usage: <port id or name>"))
		return 0;
	return vhacc_tel_post(queue_state_ctl, &r, d);
}

int
vhacc_telemetry_mode_init(void)
{
	int ret = 0;

	ret |= rte_telemetry_register_cmd("/vhacc/port/suspend", suspend_cb,
		"Stop a port: drain, record queue state. Parameters: port[,timeout_ms]");
	ret |= rte_telemetry_register_cmd("/vhacc/port/resume", resume_cb,
		"Resume a stopped or frozen port. Parameters: port id or name");
	ret |= rte_telemetry_register_cmd("/vhacc/port/mode", mode_cb,
		"Read or set a port's mode. Parameters: port[,active|stop|freeze]");
	ret |= rte_telemetry_register_cmd("/vhacc/port/queue_state", queue_state_cb,
		"Exact ring positions of a stopped port. Parameters: port id or name");
	return ret;
}
