/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Adding and removing ports at run time: /vhacc/port/add and /vhacc/port/del.
 * Runs on: the telemetry thread (the *_cb functions: they post to the control
 * lcore, and del closes the socket itself so that rte_vhost's callbacks can
 * still reach the control lcore) and the control lcore (the *_ctl functions,
 * which own the configuration and the port table).
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include "vhacc_app.h"
#include "vhacc_ctl.h"
#include "vhacc_port.h"
#include "vhacc_vhost_user.h"

#define CTL_TIMEOUT_MS 5000

static struct vhacc_config *cfg; /* the live configuration (control lcore) */
static struct rte_mempool *const *pools;
static bool shutting_down;

struct port_req {
	const char *params;
	struct rte_tel_data *d;
	char name[VHACC_NAME_MAX];
	char socket[VHACC_PATH_MAX];
};

static int reply(struct rte_tel_data *d, int err, const char *fmt, ...) __rte_format_printf(3, 4);

static int
reply(struct rte_tel_data *d, int err, const char *fmt, ...)
{
	char msg[VHACC_ERR_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "ok", err == 0);
	rte_tel_data_add_dict_int(d, "errno", err);
	rte_tel_data_add_dict_string(d, "message", msg);
	return 0;
}

static int
config_port_index(const struct vhacc_config *c, const char *name)
{
	uint16_t i;

	for (i = 0; i < c->nports; i++)
		if (strcmp(c->ports[i].name, name) == 0)
			return i;
	return -1;
}

/* Give each queue pair of port idx to the worker that polls the fewest. */
static void
assign_new_port(struct vhacc_config *c, uint16_t idx)
{
	uint16_t q, w, best;

	for (q = 0; q < c->ports[idx].queue_pairs; q++) {
		best = 0;
		for (w = 1; w < c->nworkers; w++)
			if (c->workers[w].nqps < c->workers[best].nqps)
				best = w;
		c->workers[best].qps[c->workers[best].nqps].port = idx;
		c->workers[best].qps[c->workers[best].nqps].qp = q;
		c->workers[best].nqps++;
	}
}

#define ATTACH_ETHDEV "attach=ethdev:"

/*
 * Next item of "name[,key=value]...", or NULL at the end; empty items are
 * skipped. An ethdev attachment takes the rest of the list: its devargs
 * have commas of their own ("attach=ethdev:net_memif0,role=server,...").
 */
static char *
next_param(char **cursor)
{
	char *p = *cursor, *comma;

	while (p != NULL && *p == ',')
		p++;
	if (p == NULL || *p == '\0') {
		*cursor = NULL;
		return NULL;
	}
	if (strncmp(p, ATTACH_ETHDEV, strlen(ATTACH_ETHDEV)) == 0) {
		*cursor = NULL;
		return p;
	}
	comma = strchr(p, ',');
	if (comma != NULL)
		*comma = '\0';
	*cursor = comma != NULL ? comma + 1 : NULL;
	return p;
}

/* "name[,key=value]..." applied to a copy of the live configuration. */
static int
add_ctl(void *arg)
{
	struct port_req *r = arg;
	char err[VHACC_ERR_MAX], set[VHACC_DEVARGS_MAX + 64], *params, *name, *kv, *cursor;
	struct vhacc_config *tmp;
	uint16_t i, idx;
	int ret;

	if (shutting_down)
		return reply(r->d, ESHUTDOWN, "vhacc is stopping");
	params = strdup(r->params != NULL ? r->params : "");
	tmp = malloc(sizeof(*tmp));
	if (params == NULL || tmp == NULL) {
		free(params);
		free(tmp);
		return reply(r->d, ENOMEM, "out of memory");
	}
	cursor = params;
	name = next_param(&cursor);
	if (name == NULL || strchr(name, '=') != NULL) {
		ret = reply(r->d, EINVAL, "usage: <name>[,<key>=<value>]... (keys of [port])");
		goto out;
	}
	if (config_port_index(cfg, name) >= 0) {
		ret = reply(r->d, EEXIST, "port %s already exists", name);
		goto out;
	}

	*tmp = *cfg;
	/* A port whose xconnect peer was deleted stays in the live
	 * configuration as it was; validate the rest around it. */
	for (i = 0; i < tmp->nports; i++)
		if (tmp->ports[i].attach == VHACC_ATTACH_XCONNECT &&
			config_port_index(tmp, tmp->ports[i].xconnect_peer) < 0 &&
			strcmp(tmp->ports[i].xconnect_peer, name) != 0)
			tmp->ports[i].attach = VHACC_ATTACH_LOOPBACK;

	snprintf(set, sizeof(set), "port.%s.attach=loopback", name);
	ret = vhacc_config_set(tmp, set, err, sizeof(err));
	while (ret == 0 && (kv = next_param(&cursor)) != NULL) {
		if ((size_t)snprintf(set, sizeof(set), "port.%s.%s", name, kv) >= sizeof(set)) {
			snprintf(err, sizeof(err), "port.%s: parameter too long: %.40s...", name,
				kv);
			ret = -EINVAL;
			break;
		}
		ret = vhacc_config_set(tmp, set, err, sizeof(err));
	}
	if (ret == 0) {
		idx = tmp->nports - 1;
		assign_new_port(tmp, idx);
		ret = vhacc_config_validate(tmp, err, sizeof(err));
	}
	if (ret != 0) {
		ret = reply(r->d, -ret, "%s", err);
		goto out;
	}
	/* Only the new port and the worker assignment change in the live configuration. */
	cfg->ports[idx] = tmp->ports[idx];
	cfg->nports = idx + 1;
	memcpy(cfg->workers, tmp->workers, sizeof(cfg->workers));
	ret = vhacc_app_port_open(cfg, idx, pools);
	if (ret != 0) {
		cfg->nports = idx;
		for (i = 0; i < cfg->nworkers; i++)
			while (cfg->workers[i].nqps > 0 &&
				cfg->workers[i].qps[cfg->workers[i].nqps - 1].port == idx)
				cfg->workers[i].nqps--;
		ret = reply(r->d, -ret, "port %s: cannot open it (see the log)", name);
		goto out;
	}
	ret = reply(r->d, 0, "port %s added, id %u, socket %s", name, vhacc_port_find(name)->id,
		cfg->ports[idx].socket);
out:
	free(params);
	free(tmp);
	return ret;
}

static int
del_begin_ctl(void *arg)
{
	struct port_req *r = arg;
	struct vhacc_port *p = vhacc_port_lookup(r->params);

	if (shutting_down)
		return -ESHUTDOWN;
	if (p == NULL)
		return -ENODEV;
	snprintf(r->name, sizeof(r->name), "%s", p->conf.name);
	snprintf(r->socket, sizeof(r->socket), "%s", p->conf.socket);
	return 0;
}

/* Drop port idx from the live configuration; later ports move down one index. */
static void
config_remove(struct vhacc_config *c, uint16_t idx)
{
	uint16_t i, j, k;

	memmove(&c->ports[idx], &c->ports[idx + 1], (c->nports - idx - 1) * sizeof(c->ports[0]));
	c->nports--;
	for (i = 0; i < c->nworkers; i++) {
		struct vhacc_worker_conf *w = &c->workers[i];

		for (j = 0, k = 0; j < w->nqps; j++) {
			if (w->qps[j].port == idx)
				continue;
			w->qps[k] = w->qps[j];
			if (w->qps[k].port > idx)
				w->qps[k].port--;
			k++;
		}
		w->nqps = k;
	}
	for (i = 0; i < c->nports; i++)
		if (c->ports[i].attach == VHACC_ATTACH_XCONNECT &&
			c->ports[i].xconnect_peer_idx > idx)
			c->ports[i].xconnect_peer_idx--;
}

static int
del_finish_ctl(void *arg)
{
	struct port_req *r = arg;
	struct vhacc_port *p = vhacc_port_find(r->name);
	int idx = config_port_index(cfg, r->name);

	if (shutting_down)
		return -ESHUTDOWN;
	if (p == NULL)
		return -ENODEV;
	vhacc_app_port_close(p);
	if (idx >= 0)
		config_remove(cfg, idx);
	printf("vhacc: port %s: removed\n", r->name);
	fflush(stdout);
	return 0;
}

static int
add_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct port_req r = {.params = params, .d = d};
	int ret;

	RTE_SET_USED(cmd);
	ret = vhacc_ctl_call(add_ctl, &r, CTL_TIMEOUT_MS);
	if (ret != 0)
		return reply(d, -ret, "control lcore did not answer: %s", strerror(-ret));
	return 0;
}

static int
del_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct port_req r = {.params = params, .d = d};
	int ret;

	RTE_SET_USED(cmd);
	ret = vhacc_ctl_call(del_begin_ctl, &r, CTL_TIMEOUT_MS);
	if (ret == -ENODEV)
		return params && *params ? reply(d, ENODEV, "no such port")
					 : reply(d, EINVAL, "usage: <port id or name>");
	if (ret != 0)
		return reply(d, -ret, "cannot delete: %s", strerror(-ret));
	/* Closing the socket calls destroy_device, which the control lcore
	 * serves meanwhile: after this the frontend is gone and no worker
	 * polls the port's rings. */
	vhacc_vhost_user_unregister(r.socket);
	ret = vhacc_ctl_call(del_finish_ctl, &r, CTL_TIMEOUT_MS);
	if (ret != 0)
		return reply(d, -ret, "port %s: %s", r.name, strerror(-ret));
	return reply(d, 0, "port %s removed", r.name);
}

int
vhacc_app_port_ctl_init(struct vhacc_config *c, struct rte_mempool *const *p)
{
	int ret = 0;

	cfg = c;
	pools = p;
	ret |= rte_telemetry_register_cmd("/vhacc/port/add", add_cb,
		"Add a port. Parameters: <name>[,<key>=<value>]... with the keys of a [port] "
		"section, e.g. vm3,attach=loopback");
	ret |= rte_telemetry_register_cmd("/vhacc/port/del", del_cb,
		"Remove a port: close its socket, free it. Parameters: port id or name");
	return ret == 0 ? 0 : -EINVAL;
}

void
vhacc_app_port_ctl_shutdown(void)
{
	shutting_down = true;
}
